"""What routes get from the application: its settings, database, IPFS client, manifests and
intake."""

from dataclasses import dataclass

from fastapi import Request

from marketplace.db.session import Database
from marketplace.intake import SceneIntake
from marketplace.manifests import Manifests
from marketplace.settings import MarketplaceSettings
from tilefarm.adapters.ipfs import KuboClient


@dataclass
class Services:
    settings: MarketplaceSettings
    db: Database
    ipfs: KuboClient
    manifests: Manifests
    intake: SceneIntake


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found

"""What routes get from the application: its settings, database, IPFS client, manifests,
intake and the read routes' kept bodies."""

from dataclasses import dataclass, field

from fastapi import Request

from marketplace.api.bodies import IndexedBodies
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
    bodies: IndexedBodies = field(default_factory=IndexedBodies)


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found

"""Pins on a remote pinning service (`pinning_service_url`), beside the server's own node: what
the server keeps for ever, every assembled frame (PNG and EXR) and every film (MP4 and ZIP), is
also pinned by the service, which fetches it straight from the server's node (its addresses are
given as `origins`). When pin retention unpins something here, its remote pins are deleted too.

Nothing new is stored: the service itself says what it holds (`find` by CID), so a restarted
server asks again once for every frame and then only for new ones. The service being down or
refusing never holds up assembly: it is logged, and what was not done is tried again at the next
look (every `every` seconds).
"""

import logging
import time
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.db.frame_models import AssembledFrame, JobFilm
from marketplace.db.session import Database
from marketplace.settings import MarketplaceSettings
from tilefarm.adapters.ipfs import IpfsError
from tilefarm.adapters.ipfs.pinning_service import PinningService, node_addresses

log = logging.getLogger(__name__)

CHECK_EVERY = 60.0


class RemotePins:
    """Keeps the server's frames and films pinned on a remote pinning service."""

    def __init__(
        self, db: Database, ipfs_api_url: str, service: PinningService, every: float = CHECK_EVERY
    ) -> None:
        self.db = db
        self.ipfs_api_url = ipfs_api_url
        self.service = service
        self.every = every
        self._held: set[str] = set()  # asked for (or found) on the service by this process
        self._to_forget: set[str] = set()  # unpinned here, remote pins not yet deleted
        self._next_look = 0.0

    @classmethod
    def for_settings(cls, settings: MarketplaceSettings, db: Database) -> "RemotePins | None":
        """The server's remote pins, when a pinning service is set."""
        if settings.pinning_service_url is None or settings.pinning_service_token is None:
            return None
        service = PinningService(
            settings.pinning_service_url, settings.pinning_service_token.get_secret_value()
        )
        return cls(db, settings.ipfs_api_url, service)

    def close(self) -> None:
        self.service.close()

    def step(self) -> list[str]:
        """At most once every `every` seconds, `sync`; never raises."""
        if time.monotonic() < self._next_look:
            return []
        self._next_look = time.monotonic() + self.every
        return self.sync()

    def sync(self) -> list[str]:
        """Ask the service to pin every frame and film it does not hold yet, and delete the
        remote pins still owed; returns the CIDs newly asked for. Never raises: a failure is
        logged, and what is left is done at the next look."""
        asked: list[str] = []
        try:
            self._delete(sorted(self._to_forget))
            wanted = sorted(_kept(self.db) - self._held)
            if not wanted:
                return asked
            found = {p.pin.cid for p in self.service.find_many(wanted) if p.status != "failed"}
            self._held |= found
            missing = [cid for cid in wanted if cid not in found]
            origins = node_addresses(self.ipfs_api_url) if missing else []
            for cid in missing:
                self.service.pin(cid, name=f"tilefarm {cid}", origins=origins)
                self._held.add(cid)
                asked.append(cid)
        except IpfsError as exc:
            log.warning("remote pinning stopped for now (retried in %.0f s): %s", self.every, exc)
        if asked:
            log.info("asked the pinning service to pin %d frames and films", len(asked))
        return asked

    def forget(self, cids: Iterable[str]) -> None:
        """Delete the remote pins of `cids` (unpinned on the server's node); never raises: what
        fails is deleted at a later look."""
        self._to_forget |= set(cids)
        try:
            self._delete(sorted(self._to_forget))
        except IpfsError as exc:
            log.warning("remote pins not deleted yet (retried later): %s", exc)

    def _delete(self, cids: list[str]) -> None:
        if not cids:
            return
        for pin in self.service.find_many(cids):
            self.service.unpin(pin.requestid)
        self._to_forget -= set(cids)
        self._held -= set(cids)


def _kept(db: Database) -> set[str]:
    """The CIDs of every assembled frame and film."""
    with db.session() as session:
        return frame_cids(session)


def frame_cids(session: Session) -> set[str]:
    """Every frame's and film's CID: these stay pinned, whatever else shares them."""
    cids: set[str] = set()
    for row in session.execute(select(AssembledFrame.png_cid, AssembledFrame.exr_cid)):
        cids |= {cid for cid in row if cid}
    for row in session.execute(select(JobFilm.mp4_cid, JobFilm.zip_cid)):
        cids |= {cid for cid in row if cid}
    return cids

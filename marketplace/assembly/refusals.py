"""Revealed results that previews refuse to show, kept in the database (`PreviewRefusal`): a
results list, or a tile it lists, that is not what its worker committed stays refused across
restarts, so a hostile worker's files are read once, not once per restart. (Reading them is
cheap anyway: a tile of the wrong size is refused from its header, before it is decoded.)

Only previews use these: the assembler stitches only seats a verdict accepted, and refuses on
its own what is not what was committed."""

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import select

from marketplace.assembly.revealed import Source
from marketplace.db.frame_models import PreviewRefusal
from marketplace.db.session import Database

log = logging.getLogger(__name__)

MAX_REASON = 2000  # characters of the reason kept


def refused_sources(db: Database, job_ids: Iterable[int], manifest_cid: str) -> set[str]:
    """`Source.refusal` of every source of `job_ids` (a job and its rounds) refused for
    `manifest_cid`."""
    with db.session() as session:
        rows = session.execute(
            select(
                PreviewRefusal.job_id,
                PreviewRefusal.worker,
                PreviewRefusal.results_cid,
                PreviewRefusal.merkle_root,
            ).where(
                PreviewRefusal.job_id.in_(list(job_ids)),
                PreviewRefusal.manifest_cid == manifest_cid,
            )
        ).all()
    return {f"{job}:{worker}:{cid}:{root}" for job, worker, cid, root in rows}


def refuse(db: Database, src: Source, manifest_cid: str, reason: str) -> None:
    """Previews never show `src`'s tiles again: `reason` says why."""
    log.warning("job %d: the tiles %s revealed (%s) are not shown: %s",
                src.job_id, src.worker, src.results_cid, reason)  # fmt: skip
    with db.session() as session:
        session.merge(
            PreviewRefusal(
                job_id=src.job_id, worker=src.worker, results_cid=src.results_cid,
                merkle_root=src.merkle_root, manifest_cid=manifest_cid,
                reason=reason[:MAX_REASON], refused_at=datetime.now(UTC),
            )
        )  # fmt: skip

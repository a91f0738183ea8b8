"""Response bodies of the read routes, written once and kept until the index changes.

A page polls the same listings again and again (the jobs, the workers, the price estimate), and
between two blocks their bodies cannot change: they are made from the indexed chain alone. So
the body of such a request is kept, as the JSON bytes pydantic wrote, under the request's path
and query and the index's version, and served as is until the version moves on; a cached body is
a dictionary read instead of a few queries, hundreds of rows and their validation.

The version is the indexer's cursor as stored in the database: the next block to index and the
hash of the last block indexed (a reorganisation that comes back to the same height changes the
hash). It is read first, in the same session as the body's rows, so a body is never kept under a
newer version than its rows: on PostgreSQL the session is one snapshot (REPEATABLE READ); on
SQLite a read-only session is not, and a body made while the indexer commits may hold rows of
the next version, kept under the one before, until the version moves a moment later. Several
servers on one database each read the version there. Bodies made from anything else (frames,
manifests, uploads) are not kept here.

Every JSON body of these routes is written by pydantic itself (`json_body`): FastAPI would
validate a returned model against the route's `response_model` again, then serialize it in
Python, which costs more than making the model. The routes keep their `response_model` for the
OpenAPI schema.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable

from fastapi import Request, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.db.chain_models import IndexerCursor

JSON = "application/json"
# The most body bytes kept: the page's listings and the pages of them it asks for (the longest,
# 500 jobs with their rounds, is about 320 kB), with room to spare.
MAX_BYTES = 32 * 1024 * 1024

Version = tuple[tuple[int, str], ...]


def json_body(model: BaseModel) -> Response:
    """`model` as the route's JSON body, written by pydantic."""
    return Response(model.model_dump_json(), media_type=JSON)


def index_version(session: Session) -> Version:
    """Where the index stands in `session`: for each market it follows (one, but for a server
    whose deployments changed), the next block to index and the hash of the last one indexed."""
    rows = session.execute(
        select(IndexerCursor.next_block, IndexerCursor.recent).order_by(IndexerCursor.market)
    ).all()
    version = []
    for row in rows:
        recent: list[dict[str, object]] = row.recent or []
        version.append((int(row.next_block), str(recent[-1].get("hash", "")) if recent else ""))
    return tuple(version)


class IndexedBodies:
    """The kept bodies of the index's latest version (a body of an older one is never served
    again, so all of them go when the version moves), at most `max_bytes` of them, least
    recently used dropped first."""

    def __init__(self, max_bytes: int = MAX_BYTES) -> None:
        self.max_bytes = max_bytes
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._version: Version | None = None
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def kept_bytes(self) -> int:
        """The bytes of the bodies kept now, with their keys."""
        return self._bytes

    def body(
        self,
        request: Request,
        session: Session,
        make: Callable[[], BaseModel],
        also: object = None,
    ) -> Response:
        """The body of `request` at the index's version in `session`: kept, or made by `make`
        (reading through `session`) and kept. `also`: whatever else the body depends on (the
        market's config, once read)."""
        key = f"{request.url.path}?{request.url.query}#{also!r}"
        version = index_version(session)
        with self._lock:
            if version == self._version and (kept := self._bodies.get(key)) is not None:
                self._bodies.move_to_end(key)
                self.hits += 1
                return Response(kept, media_type=JSON)
            self.misses += 1
        written = make().model_dump_json().encode()
        with self._lock:
            if version != self._version:
                self._bodies.clear()
                self._bytes = 0
                self._version = version
            size = len(key) + len(written)  # a query string is the client's to make long
            if size <= self.max_bytes and key not in self._bodies:
                self._bodies[key] = written
                self._bytes += size
                while self._bytes > self.max_bytes:
                    dropped_key, dropped = self._bodies.popitem(last=False)
                    self._bytes -= len(dropped_key) + len(dropped)
        return Response(written, media_type=JSON)

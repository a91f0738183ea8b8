"""The server's Prometheus metrics, served at `GET /metrics` (left out of the OpenAPI schema).

- `tilefarm_server_http_requests_total` and `tilefarm_server_http_request_seconds` (a histogram),
  by method, route template (`/api/jobs/{job_id}`, never the raw path) and status, so that the
  series stay few whatever clients send: requests no route matched (the page's files, unknown
  paths) share the route `<other>`, and methods other than HTTP's usual seven the method
  `OTHER`. A live stream is timed until it ends.
- `tilefarm_server_writer`: 1 on the server that holds the database's writer lock, the one
  that indexes and assembles (`marketplace/indexer/writer.py`; a SQLite server always does).
  The gauges read from the writer's memory (`..._indexer_failing`, `..._assembly_failing`,
  `..._previews_backlogged`) say something on that server only: on the others they stay 0
  whatever the writer meets. The rest is read from the shared database, alike on every server.
- The indexer: `tilefarm_server_indexer_last_block` (the last block indexed),
  `..._head_block` (the chain's head at its last poll), `..._lag_blocks` (the difference; these
  two only once a poll reached the chain) and `..._failing` (1 while its last step failed: the
  head is then as old as the last poll that worked).
- The assembly queue: `tilefarm_server_frames_due` (frames whose tiles are all accepted, or whose
  job ended, not stored yet), `tilefarm_server_frames_failed` (frames whose last assembly
  failed, tried again later), `tilefarm_server_previews` (previews shown of frames still
  rendering), `tilefarm_server_previews_backlogged` (1 while the previewer left previews owed
  for its next step) and `tilefarm_server_assembly_failing`.

Each app has a registry of its own (tests build many apps in one process). The indexer's and
the assembler's figures are read when scraped, from what they record (the database, their
public attributes), so that neither has to know about metrics.
"""

import time
from collections.abc import Iterator

from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from marketplace.assembly.owed import frames_due
from marketplace.db.frame_models import FRAME_ASSEMBLED, AssembledFrame, AssemblyJob, FramePreview

OTHER_ROUTE = "<other>"
# The methods counted by name; any other a client makes up is `OTHER`, one series for them all.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "OTHER"


class ServerMetrics:
    """The registry of one app, its request metrics, and the collectors reading its state."""

    def __init__(self, app: FastAPI) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        labels = ["method", "route", "status"]
        self.requests = Counter(
            "tilefarm_server_http_requests", "HTTP requests answered", labels, registry=r
        )
        self.seconds = Histogram(
            "tilefarm_server_http_request_seconds", "Seconds to answer", labels, registry=r
        )
        r.register(WriterCollector(app))
        r.register(IndexerCollector(app))
        r.register(AssemblyCollector(app))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        method = method if method in METHODS else OTHER_METHOD
        self.requests.labels(method, route, str(status)).inc()
        self.seconds.labels(method, route, str(status)).observe(seconds)


class WriterCollector(Collector):
    """Whether this server writes the database (indexes and assembles); nothing without a
    market."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        writer = getattr(self.app.state, "writer", None)
        if writer is None:
            return
        yield _gauge(
            "writer",
            "1 on the server holding the database's writer lock (it indexes and assembles)",
            int(writer.writing),
        )


class IndexerCollector(Collector):
    """Where the app's indexer stands; nothing while it follows no market."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        chain = getattr(self.app.state, "chain", None)
        if chain is None or chain.indexer is None:
            return
        status = chain.indexer.status()
        last = status["next_block"] - 1
        head = status["head"]
        yield _gauge("indexer_last_block", "The last block indexed", last)
        if head:  # 0 until a poll reached the chain: no head to be behind yet
            yield _gauge("indexer_head_block", "The chain's head at the indexer's last poll", head)
            lag = max(0, head - last)
            yield _gauge("indexer_lag_blocks", "Blocks the index is behind the head", lag)
        failing = chain.runner is not None and chain.runner.error is not None
        yield _gauge("indexer_failing", "1 while the indexer's last step failed", int(failing))


class AssemblyCollector(Collector):
    """The assembler's queue: frames owed, frames failing, previews; nothing without a market."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        runner = getattr(self.app.state, "assembler", None)
        if runner is None:
            return
        services = self.app.state.services
        with services.db.session() as session:
            open_jobs = session.scalars(
                select(AssemblyJob.job_id).where(
                    AssemblyJob.done.is_(False), AssemblyJob.error.is_(None)
                )
            ).all()
            due = sum(frames_due(session, job_id, services.manifests) for job_id in open_jobs)
            failed = session.scalar(
                select(func.count())
                .select_from(AssembledFrame)
                .where(AssembledFrame.status != FRAME_ASSEMBLED, AssembledFrame.error.is_not(None))
            )
            previews = session.scalar(select(func.count()).select_from(FramePreview))
        yield _gauge("frames_due", "Frames ready to assemble, not stored yet", due)
        yield _gauge("frames_failed", "Frames whose last assembly failed", failed or 0)
        yield _gauge("previews", "Previews shown of frames still rendering", previews or 0)
        yield _gauge(
            "previews_backlogged",
            "1 while the previewer left previews owed for its next step",
            int(runner.previewer.more),
        )
        yield _gauge(
            "assembly_failing",
            "1 while the last assembly, film or preview step failed",
            int(runner.error is not None),
        )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"tilefarm_server_{name}", documentation, value=value)


class RequestMetrics:
    """ASGI middleware counting and timing every HTTP request by its route's template. Plain
    ASGI rather than `BaseHTTPMiddleware`, which would hold a live stream's body."""

    def __init__(self, app: ASGIApp, metrics: ServerMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # unless the app answers: an exception ends in the server's 500
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            # The router wrote the matched route into this same scope on the way down.
            route = scope.get("route")
            template = getattr(route, "path", None) or OTHER_ROUTE
            self.metrics.observe(scope["method"], template, status, time.perf_counter() - started)


def install_metrics(app: FastAPI) -> ServerMetrics:
    """Count `app`'s requests and serve its metrics at `GET /metrics` (before the page's files,
    which are mounted at `/`)."""
    metrics = ServerMetrics(app)
    app.state.metrics = metrics
    app.add_middleware(RequestMetrics, metrics=metrics)
    router = APIRouter()

    @router.get("/metrics", include_in_schema=False)
    def serve_metrics() -> Response:
        """The registry in Prometheus's text format (a sync route: the collectors read the
        database, in FastAPI's thread pool)."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.include_router(router)
    return metrics

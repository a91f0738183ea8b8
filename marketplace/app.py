"""The marketplace's FastAPI application."""

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from web3 import Web3

from marketplace.api.chain import ChainServices
from marketplace.api.deps import Services
from marketplace.api.rate_limit import UploadLimiter
from marketplace.api.routes import (
    audit,
    config,
    events,
    faucet,
    films,
    frames,
    health,
    jobs,
    ledger,
    manifests,
    prices,
    scenes,
    workers,
)
from marketplace.assembly import Assembler, AssemblerRunner
from marketplace.assembly.remote_pins import RemotePins
from marketplace.assembly.retention import PinRetention
from marketplace.db import (
    chain_models,  # noqa: F401  (registers the indexer's tables)
    frame_models,  # noqa: F401  (registers the assembler's tables)
)
from marketplace.db.session import Database
from marketplace.errors import MarketplaceError
from marketplace.indexer import Indexer, IndexerRunner
from marketplace.indexer.indexer import Fence
from marketplace.indexer.writer import Runner, Writer
from marketplace.intake import SceneIntake
from marketplace.manifests import Manifests
from marketplace.metrics import install_metrics
from marketplace.settings import MarketplaceSettings
from tilefarm.adapters.blender.process import ChildLimits
from tilefarm.adapters.blender.sandbox import Confinement
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.deploy import read_deployments
from tilefarm.adapters.ipfs import KuboClient

log = logging.getLogger(__name__)


def _error(
    status: int,
    code: str,
    message: str,
    details: object = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(status_code=status, content=body, headers=headers)


def start_indexer(settings: MarketplaceSettings, db: Database, chain: ChainServices) -> None:
    """Prepare following the market of `settings.deployments_file` in a background thread (the
    `Writer` starts it). The chain may be down: the runner retries, and the API serves what is
    indexed meanwhile."""
    assert settings.deployments_file is not None
    deployments = read_deployments(settings.deployments_file)
    w3 = Web3(Web3.HTTPProvider(settings.rpc_url, request_kwargs={"timeout": 10}))
    client = JobMarketClient.from_deployments(w3, deployments)
    start = deployments.contracts["JobMarket"].block_number
    chain.indexer = Indexer(
        db, client, start, confirmations=settings.confirmations, hub=chain.hub,
        chain_id=deployments.chain_id,
    )  # fmt: skip
    chain.runner = IndexerRunner(chain.indexer, settings.poll_interval, settings.ws_url)


def writers(
    app: FastAPI, settings: MarketplaceSettings, ipfs: KuboClient, manifests: Manifests
) -> Callable[[Fence | None], list[Runner]]:
    """What the holder of the writer lock runs: the indexer's and the assembler's threads, new
    for each turn of holding it (the routes show the newest)."""
    services = app.state.services
    chain: ChainServices = app.state.chain

    def make(fence: Fence | None) -> list[Runner]:
        assert chain.indexer is not None
        chain.runner = IndexerRunner(
            chain.indexer, settings.poll_interval, settings.ws_url, fence=fence
        )
        assembler = Assembler(
            services.db, ipfs, settings.state_dir / "assembly", hub=chain.hub, manifests=manifests
        )
        remote = RemotePins.for_settings(settings, services.db)
        retention = (
            PinRetention.beside(assembler, settings.pin_retention_days, remote)
            if settings.pin_retention_days is not None
            else None
        )
        app.state.assembler = AssemblerRunner(
            assembler, settings.poll_interval, news=chain.hub.subscribe_thread(),
            retention=retention, remote_pins=remote,
        )  # fmt: skip
        return [chain.runner, app.state.assembler]

    return make


def create_app(settings: MarketplaceSettings | None = None) -> FastAPI:
    """Build the app for `settings` (default: from the environment)."""
    settings = settings or MarketplaceSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ipfs = KuboClient(settings.ipfs_api_url)
        limits = ChildLimits(
            wall_seconds=settings.inspect_seconds, memory_bytes=settings.inspect_memory_bytes
        )
        db = Database(settings.db_url)
        manifests = Manifests(db, ipfs)
        app.state.services = Services(
            settings=settings,
            db=db,
            ipfs=ipfs,
            manifests=manifests,
            intake=SceneIntake(
                settings.scratch_dir,
                settings.max_scene_bytes,
                limits,
                concurrency=settings.inspect_concurrency,
                wait_seconds=settings.inspect_wait_seconds,
                sandbox=settings.inspect_sandbox,
                confinement=Confinement(hidden=(settings.state_dir,), user=settings.inspect_user),
            ),
        )
        app.state.chain = chain = ChainServices()
        app.state.assembler = writer = None
        if settings.deployments_file is not None:
            start_indexer(settings, db, chain)
            assert chain.indexer is not None and chain.runner is not None
            assembler = Assembler(
                db, ipfs, settings.state_dir / "assembly", hub=chain.hub, manifests=manifests
            )
            app.state.assembler = AssemblerRunner(
                assembler, settings.poll_interval, news=chain.hub.subscribe_thread()
            )
            # Servers sharing a PostgreSQL database: only the writer lock's holder runs these.
            writer = Writer(
                db, chain.indexer, writers(app, settings, ipfs, manifests), settings.poll_interval
            ).start()
        app.state.writer = writer
        # What is loaded by now (the libraries, the app, its settings) lives as long as the
        # server: set it aside from the garbage collector, whose full collections otherwise scan
        # it all and stall every request (about 140 ms at a time, measured under load).
        gc.collect()
        gc.freeze()
        yield
        if writer is not None:
            writer.stop()
        ipfs.close()
        db.engine.dispose()

    app = FastAPI(
        title="tilefarm marketplace",
        version="0.1.0",
        description="Decentralized Blender rendering: scenes, manifests, jobs, workers, audit.",
        lifespan=lifespan,
    )
    app.state.upload_limiter = UploadLimiter(
        settings.upload_rate_per_minute, settings.upload_bytes_per_minute
    )

    @app.exception_handler(MarketplaceError)
    async def _marketplace_error(_request: Request, exc: MarketplaceError) -> JSONResponse:
        retry = {"Retry-After": str(exc.retry_after)} if exc.retry_after is not None else None
        return _error(exc.status, exc.code, exc.message, exc.details, retry)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"where": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]} for e in exc.errors()
        ]
        summary = "; ".join(f"{p['where']}: {p['problem']}" for p in problems)
        return _error(422, "invalid_request", f"invalid request: {summary}", problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, "http_error", str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return _error(500, "internal_error", "the server failed; the error was logged")

    routes = (
        health, scenes, manifests, jobs, events, workers, prices, ledger, config, faucet, frames,
        films, audit,
    )  # fmt: skip
    for module in routes:
        app.include_router(module.router)
    install_metrics(app)  # before the page's files, mounted at /
    if settings.frontend_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.frontend_dir, html=True), name="frontend")
    return app

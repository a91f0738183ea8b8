"""The node operator's commands: `init`, `stake`, `run`, `status`, `withdraw`, and the wiring
that turns a config file into a running `WorkerDaemon`."""

import json
import logging
import os
import signal
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import requests
import typer
from eth_account.signers.local import LocalAccount
from rich.live import Live
from rich.table import Table
from sqlalchemy import select
from web3 import Web3

from render_worker.daemon import WorkerDaemon
from render_worker.errors import WorkerError
from render_worker.keystore import create_keystore, keystore_address, load_keystore
from render_worker.metrics import WorkerMetrics
from render_worker.settings import DaemonSettings
from render_worker.state.models import ChallengeRow
from render_worker.state.stages import Stage
from render_worker.state.store import WorkerState
from render_worker.work.machine import describe, machine_report, profile_at_start
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.connection import check_market, connect_web3
from tilefarm.adapters.chain.deploy import read_deployments
from tilefarm.adapters.console import console, err, fail, log_handler
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.errors import TilefarmError
from tilefarm.hardware import Hardware
from tilefarm.hardware_codes import backend_name

log = logging.getLogger("render_worker")

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="worker config (TOML); default: RENDER_WORKER_CONFIG"),
]


def load_settings(config: Path | None) -> DaemonSettings:
    """The worker's settings from `config` (default: RENDER_WORKER_CONFIG, else none) and the
    environment; a bad config fails the command with what was wrong."""
    path = config or (Path(p) if (p := os.environ.get("RENDER_WORKER_CONFIG")) else None)
    try:
        return DaemonSettings.load(path)
    except ValueError as exc:
        raise fail(exc) from None


def _secret(prompt: str, confirm: bool = False) -> str:
    """Asked without echo on a terminal; read as one line when piped in (a script, the demo)."""
    if sys.stdin is None or not sys.stdin.isatty():
        line = sys.stdin.readline().removesuffix("\n").removesuffix("\r") if sys.stdin else ""
        if not line:
            raise fail(WorkerError(f"no {prompt} on standard input"))
        return line
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm))


def _password(settings: DaemonSettings, confirm: bool = False) -> str:
    if settings.password is not None:
        return settings.password.get_secret_value()
    return _secret("keystore password", confirm)


@dataclass
class Node:
    """A worker's connections: its key, the chain, the market, IPFS and its database."""

    settings: DaemonSettings
    account: LocalAccount
    w3: Web3
    market: JobMarketClient
    ipfs: KuboClient
    state: WorkerState
    start_block: int


def connect(settings: DaemonSettings, password: str) -> Node:
    """Unlock the key and connect to what the config names."""
    account = load_keystore(settings.keystore_path, password)
    w3 = connect_web3(settings.rpc_url)
    start_block, chain_id = 0, None
    if settings.market_address:
        address = settings.market_address
    elif settings.deployments_file:
        deployments = read_deployments(settings.deployments_file)
        address = deployments.address("JobMarket")
        start_block = deployments.contracts["JobMarket"].block_number
        chain_id = deployments.chain_id
    else:
        raise WorkerError("set deployments_file or market_address in the worker's config")
    try:
        source = f"the deployments file {settings.deployments_file}"
        if settings.market_address:
            source = "the config's market_address"
        check_market(w3, address, settings.rpc_url, chain_id, source)
    except (requests.RequestException, OSError) as exc:
        raise WorkerError(f"cannot reach the chain at {settings.rpc_url}: {exc}") from exc
    market = JobMarketClient.from_build(w3, address)
    return Node(
        settings=settings,
        account=account,
        w3=w3,
        market=market,
        ipfs=KuboClient(settings.ipfs_api_url),
        state=WorkerState(settings.database_path),
        start_block=start_block,
    )


def start_daemon(node: Node, metrics: WorkerMetrics | None = None) -> WorkerDaemon:
    """The daemon `run` runs: its machine probed and priced (benchmarked again if the stored
    figures do not fit it); its first pass declares its hardware on chain if the chain records
    another."""
    machine = profile_at_start(node.settings, node.state)
    return WorkerDaemon(
        node.settings, node.account, node.w3, node.market, node.ipfs, node.state,
        start_block=node.start_block, machine=machine, metrics=metrics, declare_hardware=True,
    )  # fmt: skip


# What `init` writes at the end of a config: the [hardware] section, commented out.
HARDWARE_EXAMPLE = """
# What this worker declares on chain, and which jobs it bids on (a job may require a GPU, a
# backend, or GPU memory). Default: the backend `devices` selects and, for CUDA or OPTIX, the
# GPU memory nvidia-smi reports. Declare less to keep part of a card for other work.
# [hardware]
# backend = "CUDA"  # CPU, CUDA, OPTIX, HIP, ONEAPI or METAL
# vram_mib = 8192  # GPU memory in MiB the worker may use
"""


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def register(app: typer.Typer) -> None:
    """Add the operator's commands to the `render-worker` app."""

    @app.command()
    def init(
        config: Annotated[Path, typer.Option("--config", "-c", help="config file to write")] = Path(
            "worker.toml"
        ),
        state_dir: Annotated[Path, typer.Option(help="database, key and tiles")] = Path(
            ".tilefarm/worker"
        ),
        rpc_url: Annotated[str, typer.Option(help="chain RPC")] = "http://127.0.0.1:8545",
        ipfs_api_url: Annotated[str, typer.Option(help="Kubo RPC API")] = "http://127.0.0.1:5001",
        deployments: Annotated[Path | None, typer.Option(help="deployments JSON")] = None,
        import_key: Annotated[
            bool, typer.Option("--import-key", help="import a private key instead of a new one")
        ] = False,
    ) -> None:
        """Create an encrypted key (or import one) and write the worker's config file."""
        if config.exists():
            raise fail(WorkerError(f"{config} already exists; remove it or pick another path"))
        settings = DaemonSettings(state_dir=state_dir.resolve())
        key = _secret("private key (hex)") if import_key else None
        try:
            address = create_keystore(settings.keystore_path, _password(settings, True), key)
        except TilefarmError as exc:
            raise fail(exc) from None
        values: dict[str, Any] = {
            "state_dir": str(state_dir.resolve()),
            "rpc_url": rpc_url,
            "ipfs_api_url": ipfs_api_url,
            "devices": "auto",
        }
        if deployments is not None:
            values["deployments_file"] = str(deployments.resolve())
        body = "".join(f"{k} = {_toml_value(v)}\n" for k, v in values.items())
        body += "\n[pricing]\n" + "".join(
            f"{k} = {_toml_value(v)}\n" for k, v in settings.pricing.model_dump().items()
        )
        body += HARDWARE_EXAMPLE
        config.write_text(body)
        console.print(
            f"worker {address}\nkey: {settings.keystore_path}\nconfig: {config}", markup=False
        )
        console.print("next: fund it, then `render-worker stake ETH --config ...`")

    @app.command()
    def stake(
        amount_eth: Annotated[float, typer.Argument(help="ETH to add to the stake", min=0)],
        config: ConfigOpt = None,
    ) -> None:
        """Bond stake so the worker may bid and be drawn as a verifier."""
        settings = load_settings(config)
        try:
            node = connect(settings, _password(settings))
            receipt = node.market.stake(node.account, Web3.to_wei(amount_eth, "ether"))
            account = node.market.account(node.account.address)
        except TilefarmError as exc:
            raise fail(exc) from None
        console.print(f"staked in tx {receipt.tx_hash}; stake now {account.stake} wei")

    @app.command()
    def withdraw(config: ConfigOpt = None) -> None:
        """Withdraw everything the market credited to this worker."""
        settings = load_settings(config)
        try:
            node = connect(settings, _password(settings))
            balance = node.market.balance_of(node.account.address)
            if balance == 0:
                console.print("nothing to withdraw")
                return
            receipt = node.market.withdraw(node.account)
        except TilefarmError as exc:
            raise fail(exc) from None
        console.print(f"withdrew {balance} wei in tx {receipt.tx_hash}")

    @app.command()
    def status(
        config: ConfigOpt = None,
        as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False,
    ) -> None:
        """Jobs, tiles, duties, transactions and earnings from the worker's database."""
        settings = load_settings(config)
        try:
            report = status_report(settings)
        except TilefarmError as exc:  # no keystore yet, say
            raise fail(exc) from None
        if as_json:
            print(json.dumps(report, indent=2, default=str))
            return
        table = Table("job", "stage", "tiles", "price/tile", "earned", "reason")
        for job in report["jobs"]:
            name = str(job["job_id"])
            if job["round_of"] is not None:
                name += f" (job {job['round_of']}, round {job['round']})"
            table.add_row(
                name, job["stage"], f"{job['rendered']}/{job['assigned_tiles']}",
                str(job["price_per_tile"]), str(job["earned"]), job["reason"],
            )  # fmt: skip
        console.print(table)
        console.print(machine_line(report["machine"]), markup=False)
        console.print(f"earned {report['earned_wei']} wei; balance {report.get('balance_wei')} wei")

    @app.command()
    def run(
        config: ConfigOpt = None,
        verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    ) -> None:
        """Run the worker until SIGINT/SIGTERM (the tile in progress is finished first)."""
        logging.basicConfig(
            level=logging.DEBUG if verbose else logging.INFO,
            format="%(message)s",
            handlers=[log_handler(err)],
        )
        # httpx logs every request at INFO: kept for --verbose
        logging.getLogger("httpx").setLevel(logging.DEBUG if verbose else logging.WARNING)
        settings = load_settings(config)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        try:
            node = connect(settings, _password(settings))
            metrics = WorkerMetrics()
            if settings.metrics_port:
                metrics.serve(settings.metrics_port)
            daemon = start_daemon(node, metrics)
            if err.is_terminal:
                with Live(get_renderable=lambda: progress_table(node.state), console=err,
                          refresh_per_second=1):  # fmt: skip
                    daemon.run(stop)
            else:
                daemon.run(stop)
        except TilefarmError as exc:
            raise fail(exc) from None


def progress_table(state: WorkerState) -> Table:
    """The live view of `run`: each open job's stage and tiles, and the earnings so far."""
    table = Table(
        "job", "stage", "tiles", "price/tile (wei)", "earned (wei)", title="render-worker"
    )
    earned = 0
    for job in state.jobs():
        earned += job.earned
        if job.stage in (Stage.SKIPPED, Stage.LOST, Stage.CANCELLED):
            continue
        done = len(state.tiles(job.job_id))
        table.add_row(str(job.job_id), job.stage, f"{done}/{job.assigned_tiles}",
                      str(job.price_per_tile), str(job.earned))  # fmt: skip
    table.caption = f"earned {earned} wei in total"
    return table


def _challenges(state: WorkerState) -> list[ChallengeRow]:
    """The worker's rechecks of others' passes."""
    with state.session() as s:
        return list(s.scalars(select(ChallengeRow).order_by(ChallengeRow.id)))


def _declared(code: int, vram_mib: int) -> dict[str, Any] | None:
    """The chain's record of an account's hardware (None if it never declared any)."""
    return None if code == 0 else {"backend": backend_name(code) or code, "vram_mib": vram_mib}


def machine_line(machine: dict[str, Any]) -> str:
    """One line of `status`'s machine part: what pricing uses, and what is declared."""
    hardware = machine.get("hardware_on_chain") or machine["hardware"]
    declared = "nothing declared yet"
    if hardware:
        declared = f"declares {describe(Hardware.model_validate(hardware))}"
    stopped = machine.get("bidding_stopped")
    if stopped:
        declared += (
            f"; BIDDING STOPPED after job {stopped['job_id']}'s seat was given back because "
            f"{stopped['reason']}: check the GPU, then restart the worker"
        )
    if machine["pixel_samples_per_minute"] is None:
        return (
            f"machine: no benchmark stored yet (`run` measures at start, or `render-worker "
            f"benchmark --config ...`); {declared}"
        )
    source = "the config's figure"
    if machine["source"] == "benchmark":
        source = f"benchmark, Blender {machine['benchmark']['blender_version']}"
    return (
        f"machine: prices {machine['backend'] or 'its backend'} at "
        f"{machine['pixel_samples_per_minute']:,.0f} pixel-samples/min ({source}); {declared}"
    )


def status_report(settings: DaemonSettings) -> dict[str, Any]:
    """The worker's own view, from its database (plus the chain balance when reachable)."""
    state = WorkerState(settings.database_path)
    rounds = state.rounds()
    jobs = []
    for job in state.jobs():
        tiles = state.tiles(job.job_id)
        of = rounds.get(job.job_id)
        jobs.append(
            {
                "job_id": job.job_id,
                # A re-offer round: the posted job whose tiles it sells, and which round it is.
                "round_of": None if of is None else of.job_id,
                "round": None if of is None else of.round,
                "stage": job.stage,
                "reason": job.reason,
                "assigned_tiles": job.assigned_tiles,
                "first_tile": job.first_tile,
                "rendered": len(tiles),
                "published": sum(1 for t in tiles.values() if t.cid),
                "price_per_tile": job.price_per_tile,
                "earned": job.earned,
                "results_cid": job.results_cid,
            }
        )
    report: dict[str, Any] = {
        "address": keystore_address(settings.keystore_path),
        "jobs": jobs,
        "earned_wei": sum(j["earned"] for j in jobs),
        "duties": [
            {
                "job_id": d.job_id,
                "worker": d.worker,
                "kind": d.kind,
                "stage": d.stage,
                "passed": d.passed,
                "evidence_cid": d.evidence_cid,
            }
            for d in state.duties()
        ],
        "challenges": [
            {
                "job_id": c.job_id,
                "worker": c.worker,
                "verifier": c.verifier,
                "evidence_cid": c.evidence_cid,
                "stage": c.stage,
                "reason": c.reason,
            }
            for c in _challenges(state)
        ],
        "transactions": [
            {"purpose": t.purpose, "nonce": t.nonce, "status": t.status, "tx_hash": t.tx_hash}
            for t in state.txs()
        ],
        "cursor": state.get_meta("cursor"),
        "machine": machine_report(settings, state),
    }
    try:
        w3 = connect_web3(settings.rpc_url, timeout=5, retries=1)
        if settings.deployments_file or settings.market_address:
            address = settings.market_address or read_deployments(
                settings.deployments_file  # type: ignore[arg-type]
            ).address("JobMarket")
            market = JobMarketClient.from_build(w3, address)
            report["balance_wei"] = market.balance_of(report["address"])
            account = market.account(report["address"])
            report["stake_wei"] = account.stake
            report["machine"]["hardware_on_chain"] = _declared(account.backend, account.vram_mib)
    except Exception as exc:  # the database view stands on its own when the chain is away
        report["chain_error"] = str(exc)
    return report

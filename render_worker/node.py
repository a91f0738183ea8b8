"""The node operator's commands: `init`, `stake`, `unstake`, `run`, `status`, `withdraw`, and the
wiring that turns a config file into a running `WorkerDaemon`."""

import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import requests
import typer
from eth_account.signers.local import LocalAccount
from rich.live import Live
from rich.table import Table
from sqlalchemy import select
from web3 import Web3

from render_worker.chain import calls
from render_worker.chain.sender import TxSender
from render_worker.daemon import WorkerDaemon
from render_worker.errors import WorkerError
from render_worker.keystore import create_keystore, keystore_address, load_keystore
from render_worker.metrics import WorkerMetrics
from render_worker.settings import DaemonSettings
from render_worker.state.models import ChallengeRow, TxRow
from render_worker.state.stages import Stage
from render_worker.state.store import WorkerState
from render_worker.unstaking import (
    WITHDRAW_COMMAND,
    StakeView,
    below_minimum,
    explain_revert,
    read_stake,
    request_amount,
    restart_notice,
    stake_json,
    state_line,
    utc,
    withdraw_wait,
)
from render_worker.work.machine import describe, machine_report, profile_at_start
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.connection import check_market, connect_web3
from tilefarm.adapters.chain.deploy import read_deployments
from tilefarm.adapters.chain.errors import ContractReverted
from tilefarm.adapters.console import console, err, fail, log_handler
from tilefarm.adapters.ipfs import KuboClient
from tilefarm.adapters.logs import LogFormat, log_json
from tilefarm.amounts import duration_text, eth_text, parse_eth
from tilefarm.errors import TilefarmError
from tilefarm.hardware import Hardware
from tilefarm.hardware_codes import backend_name

log = logging.getLogger("render_worker")

ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="worker config (TOML); default: RENDER_WORKER_CONFIG"),
]


def read_settings(config: Path | None) -> DaemonSettings:
    """The worker's settings from `config` (default: RENDER_WORKER_CONFIG, else none) and the
    environment; a bad config is a `WorkerError` saying what was wrong."""
    path = config or (Path(p) if (p := os.environ.get("RENDER_WORKER_CONFIG")) else None)
    try:
        return DaemonSettings.load(path)
    except ValueError as exc:
        raise WorkerError(str(exc)) from None


def load_settings(config: Path | None) -> DaemonSettings:
    """`read_settings`, a bad config failing the command with what was wrong."""
    try:
        return read_settings(config)
    except WorkerError as exc:
        raise fail(exc) from None


def _secret(prompt: str, confirm: bool = False, other_way: str = "") -> str:
    """Asked without echo on a terminal; read as one line when piped in (a script, the demo).
    Raises `WorkerError` (naming `other_way` to give it, if any) when nothing is piped in, which
    the command reports in its log's format (`run --log-format json`: a JSON line)."""
    if sys.stdin is None or not sys.stdin.isatty():
        line = sys.stdin.readline().removesuffix("\n").removesuffix("\r") if sys.stdin else ""
        if not line:
            raise WorkerError(f"no {prompt} on standard input{other_way}")
        return line
    return str(typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm))


def _password(settings: DaemonSettings, confirm: bool = False) -> str:
    if settings.password is not None:
        return settings.password.get_secret_value()
    return _secret("keystore password", confirm, ": set RENDER_WORKER_PASSWORD, or pipe it in")


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
    w3, market, start_block = open_market(settings)
    return Node(
        settings=settings,
        account=account,
        w3=w3,
        market=market,
        ipfs=KuboClient(settings.ipfs_api_url),
        state=WorkerState(settings.database_path),
        start_block=start_block,
    )


def open_market(settings: DaemonSettings) -> tuple[Web3, JobMarketClient, int]:
    """The chain and the market the config names, checked to be there (no key needed), and the
    block the market was deployed in (0 when the config names only its address)."""
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
    return w3, JobMarketClient.from_build(w3, address), start_block


def sender(settings: DaemonSettings, w3: Web3, market: JobMarketClient) -> TxSender:
    """The worker's key (unlocked: the password is asked here) sending through the worker's own
    ledger: a command's transaction takes its nonce from the database the running worker
    stores its own in, so that neither ever takes the other's (`render_worker/chain/sender.py`)."""
    account = load_keystore(settings.keystore_path, _password(settings))
    return TxSender(
        w3, market, account, WorkerState(settings.database_path),
        max_fee_wei=settings.max_fee_wei, receipt_timeout=settings.receipt_timeout_s,
        waiting=_still_waiting,
    )  # fmt: skip


def _still_waiting(row: TxRow, seconds: float) -> None:
    """A command waits for its transaction as long as it takes, and says so."""
    err.print(
        f"waiting for {row.purpose} to be mined: {seconds:.0f} s so far (nonce {row.nonce}, "
        f"tx {row.tx_hash}); Ctrl-C leaves it in flight, and the worker records it once mined",
        markup=False,
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
        try:
            key = _secret("private key (hex)") if import_key else None
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
        amount_eth: Annotated[
            str, typer.Argument(metavar="AMOUNT", help="ETH to add to the stake, e.g. 1.5")
        ],
        config: ConfigOpt = None,
    ) -> None:
        """Bond stake so the worker may bid and be drawn as a verifier."""
        settings = load_settings(config)
        try:
            amount = parse_eth(amount_eth)
            w3, market, _ = open_market(settings)
            signer = sender(settings, w3, market)
            block = int(w3.eth.block_number)
            row = signer.send(calls.stake(amount, f"{block}:{amount}"))
            account = market.account(signer.account.address)
        except TilefarmError as exc:
            raise fail(exc) from None
        console.print(f"staked in tx {row.tx_hash}; stake now {account.stake} wei")

    @app.command()
    def withdraw(config: ConfigOpt = None) -> None:
        """Withdraw everything the market credited to this worker."""
        settings = load_settings(config)
        try:
            w3, market, _ = open_market(settings)
            block = int(w3.eth.block_number)
            balance = market.balance_of(_address(settings))
            if balance == 0:
                console.print("nothing to withdraw")
                return
            row = sender(settings, w3, market).send(calls.withdraw(block, balance))
        except TilefarmError as exc:
            raise fail(exc) from None
        console.print(f"withdrew {balance} wei in tx {row.tx_hash}")

    @app.command()
    def unstake(
        amount_eth: Annotated[
            str | None,
            typer.Argument(metavar="AMOUNT", help="ETH to move out of the stake, e.g. 0.5"),
        ] = None,
        unstake_all: Annotated[
            bool, typer.Option("--all", help="all of the stake not locked as collateral")
        ] = False,
        withdraw_it: Annotated[
            bool, typer.Option("--withdraw", help="send home what is unstaked, once unlocked")
        ] = False,
        yes: Annotated[
            bool, typer.Option("--yes", "-y", help="restart the delay without asking")
        ] = False,
        config: ConfigOpt = None,
        as_json: Annotated[bool, typer.Option("--json", help="machine-readable")] = False,
    ) -> None:
        """Take stake out in two steps: request it (AMOUNT or --all), then, once the market's
        unstake delay has passed, `--withdraw` it. With neither, show what is unstaking."""
        if sum((amount_eth is not None, unstake_all, withdraw_it)) > 1:
            raise fail(WorkerError("give one of AMOUNT, --all or --withdraw"))
        settings = load_settings(config)
        try:
            amount = None if amount_eth is None else parse_eth(amount_eth)
            # The address is read from the keystore: the key is unlocked (the password asked)
            # only when something is to be signed.
            w3, market, _ = open_market(settings)
            view = read_stake(market, _address(settings))
            send = partial(sender, settings, w3, market)
            if withdraw_it:
                report = _withdraw_stake(send, market, view)
            elif amount is not None or unstake_all:
                report = _request_unstake(send, market, view, amount, yes, as_json)
            else:
                report = {"action": "none", "message": state_line(view), **stake_json(view)}
        except ContractReverted as exc:
            raise fail(explain_revert(exc)) from None
        except TilefarmError as exc:
            raise fail(exc) from None
        if as_json:
            print(json.dumps(report, indent=2))
        else:
            console.print(report["message"], markup=False)

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
        stake = report.pop("stake_line", None)
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
        if stake is not None:
            console.print(stake, markup=False)

    @app.command()
    def run(
        config: ConfigOpt = None,
        verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
        log_format: Annotated[
            LogFormat,
            typer.Option(help="json: one JSON object a line on stderr, and no live table"),
        ] = LogFormat.HUMAN,
    ) -> None:
        """Run the worker until SIGINT/SIGTERM (the tile in progress is finished first)."""
        level = logging.DEBUG if verbose else logging.INFO
        as_json = log_format is LogFormat.JSON
        if as_json:
            log_json(level)
        else:
            logging.basicConfig(level=level, format="%(message)s", handlers=[log_handler(err)])
        # httpx logs every request at INFO: kept for --verbose
        logging.getLogger("httpx").setLevel(logging.DEBUG if verbose else logging.WARNING)
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        try:
            settings = read_settings(config)
            node = connect(settings, _password(settings))
            metrics = WorkerMetrics()
            if settings.metrics_port:
                metrics.serve(settings.metrics_port)
            daemon = start_daemon(node, metrics)
            if err.is_terminal and not as_json:
                with Live(get_renderable=lambda: progress_table(node.state), console=err,
                          refresh_per_second=1):  # fmt: skip
                    daemon.run(stop)
            else:
                daemon.run(stop)
        except TilefarmError as exc:
            if not as_json:
                raise fail(exc) from None
            log.error("%s", exc)
            raise typer.Exit(code=1) from None
        except Exception:
            if not as_json:
                raise
            # Every line on stderr stays JSON: the traceback is the record's `exception`.
            log.exception("the worker stopped on an unexpected error")
            raise typer.Exit(code=1) from None


def _address(settings: DaemonSettings) -> str:
    """The worker's address, read from its keystore without unlocking it."""
    return Web3.to_checksum_address(keystore_address(settings.keystore_path))


def _request_unstake(
    send: Callable[[], TxSender],
    market: JobMarketClient,
    view: StakeView,
    amount: int | None,
    yes: bool,
    as_json: bool,
) -> dict[str, Any]:
    """`unstake AMOUNT|--all`: checked against the chain's state first, so that what the market
    would refuse is explained before the key is unlocked or anything signed; a request that
    would restart the delay of what is already unstaking is sent only when confirmed. `send`
    unlocks the key."""
    amount = request_amount(view, amount)
    notice = restart_notice(view, amount)
    if notice is not None and not yes:
        if as_json or sys.stdin is None or not sys.stdin.isatty():
            raise WorkerError(f"{notice}. Run again with --yes to request it anyway")
        err.print(notice, markup=False)
        if not typer.confirm("request it anyway?", default=False, err=True):
            raise WorkerError("nothing sent")
    note = below_minimum(view, amount)
    if note is not None and not as_json:
        err.print(f"note: {note}", markup=False)
    row = send().send(calls.request_unstake(view.block, amount))
    sent = {"action": "requested", "amount_wei": amount, "tx_hash": row.tx_hash}
    try:
        after = read_stake(market, view.address)
    except Exception as exc:  # mined: what was sent is said, whatever the chain answers now
        return {**sent, **_unread(f"{eth_text(amount)} unstaking (tx {row.tx_hash})", exc)}
    total = "" if after.unstaking == amount else f" ({eth_text(after.unstaking)} in all)"
    message = (
        f"{eth_text(amount)} unstaking{total}; withdraw it after {utc(after.unlock_at)} (in "
        f"{duration_text(after.unlock_at - after.now)}) with `{WITHDRAW_COMMAND}` "
        f"(tx {row.tx_hash})"
    )
    return {**sent, "message": message, **stake_json(after)}


def _withdraw_stake(
    send: Callable[[], TxSender], market: JobMarketClient, view: StakeView
) -> dict[str, Any]:
    """`unstake --withdraw`: sent only when the chain's state says it goes through (the key is
    unlocked then); else says how long is left (or what else holds it) and sends nothing."""
    wait = withdraw_wait(view)
    if wait is not None:
        return {"action": "none", "amount_wei": 0, "message": wait, **stake_json(view)}
    row = send().send(calls.withdraw_stake(view.block, view.unstaking))
    sent = {"action": "withdrew", "amount_wei": view.unstaking, "tx_hash": row.tx_hash}
    withdrew = (
        f"withdrew {eth_text(view.unstaking)} of unstaked stake to {view.address} "
        f"(tx {row.tx_hash})"
    )
    try:
        after = read_stake(market, view.address)
    except Exception as exc:  # mined: what was sent is said, whatever the chain answers now
        return {**sent, **_unread(withdrew, exc)}
    return {**sent, "message": f"{withdrew}; {state_line(after)}", **stake_json(after)}


def _unread(done: str, exc: Exception) -> dict[str, Any]:
    """The report of a mined transaction when the stake could not be read after it."""
    return {
        "message": (
            f"{done}; the stake could not be read after it ({exc}): `render-worker unstake` "
            "shows it"
        ),
        "chain_error": str(exc),
    }


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
            stake = read_stake(market, report["address"])
            unstaking = stake_json(stake)
            report["locked_wei"] = stake.locked
            report["unstaking_wei"] = stake.unstaking
            report["unlock_at"] = unstaking["unlock_at"]
            report["stake_line"] = state_line(stake)
            report["machine"]["hardware_on_chain"] = _declared(account.backend, account.vram_mib)
    except Exception as exc:  # the database view stands on its own when the chain is away
        report["chain_error"] = str(exc)
    return report

"""`tilefarm`: the artist's and auditor's command line, and the local stack's controls."""

import json
import logging
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from tilefarm.adapters.console import add_version_option, console, err, fail, warn
from tilefarm.adapters.logs import LogFormat, log_json
from tilefarm.errors import TilefarmError
from tilefarm_cli.artist.commands import fetch_command, submit_command, watch_command
from tilefarm_cli.audit import audit_app
from tilefarm_cli.demo.options import DemoOptions
from tilefarm_cli.devnet import Devnet, DevnetError, StackStatus
from tilefarm_cli.settings import TilefarmSettings

app = typer.Typer(help="tilefarm: decentralized Blender rendering.", no_args_is_help=True)
devnet_app = typer.Typer(
    help="The local stack: anvil, Kubo and the contracts.", no_args_is_help=True
)
app.add_typer(devnet_app, name="devnet")
app.add_typer(audit_app, name="audit")
# The artist's commands for pipelines (docs/artist-cli.md), kept in tilefarm_cli.artist.
app.command("submit")(submit_command)
app.command("watch")(watch_command)
app.command("fetch")(fetch_command)

add_version_option(app, "tilefarm")

StateDir = Annotated[Path | None, typer.Option(help="state folder (default: .tilefarm/)")]
ChainPort = Annotated[int | None, typer.Option(help="anvil port")]
ApiPort = Annotated[int | None, typer.Option(help="Kubo RPC API port")]
GatewayPort = Annotated[int | None, typer.Option(help="Kubo gateway port")]


def _settings(**overrides: Any) -> TilefarmSettings:
    return TilefarmSettings(**{k: v for k, v in overrides.items() if v is not None})


@devnet_app.command("up")
def devnet_up(
    detach: Annotated[
        bool, typer.Option("--detach", "-d", help="return once the stack runs")
    ] = False,
    state_dir: StateDir = None,
    chain_port: ChainPort = None,
    ipfs_api_port: ApiPort = None,
    ipfs_gateway_port: GatewayPort = None,
) -> None:
    """Start anvil and Kubo on loopback and deploy the contracts (unless already running)."""
    settings = _settings(
        state_dir=state_dir,
        chain_port=chain_port,
        ipfs_api_port=ipfs_api_port,
        ipfs_gateway_port=ipfs_gateway_port,
    )
    devnet = Devnet(settings, detached=detach)
    already = devnet.status().running

    def crashed(status: StackStatus) -> None:
        warn("the recorded stack crashed and is replaced: " + "; ".join(status.problems))

    try:
        status = devnet.up(on_crashed=crashed)
    except TilefarmError as exc:
        raise fail(exc) from None
    console.print("[green]already running[/]" if already else "[green]devnet is up[/]")
    _print_status(status)
    if detach:
        return
    console.print("Press Ctrl-C to stop the stack.")
    stop = _wait_for_signal(devnet)
    devnet.down()
    if stop:
        raise fail(DevnetError(stop))


def _wait_for_signal(devnet: Devnet) -> str:
    """Block until SIGINT/SIGTERM (returns '') or until a process dies (returns the problem)."""
    stopping = False

    def handler(_sig: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    while not stopping:
        time.sleep(0.5)
        state = devnet.load()
        if state is None:
            return ""
        dead = [name for name, proc in state.processes.items() if not proc.is_running()]
        if dead:
            return f"{', '.join(dead)} stopped unexpectedly; see the logs in {devnet.dir}"
    return ""


@devnet_app.command("status")
def devnet_status(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    state_dir: StateDir = None,
) -> None:
    """Report chain, IPFS, contracts and each process's health; exit 1 unless all are healthy."""
    status = Devnet(_settings(state_dir=state_dir)).status()
    if as_json:
        print(json.dumps(status.model_dump(mode="json"), indent=2))
    else:
        _print_status(status)
    if not status.running:
        raise typer.Exit(code=1)


@devnet_app.command("down")
def devnet_down(state_dir: StateDir = None) -> None:
    """Stop exactly the processes `up` started."""
    stopped = Devnet(_settings(state_dir=state_dir)).down()
    if not stopped:
        console.print("no stack was running")
    for proc in stopped:
        console.print(f"stopped {proc.name} (pid {proc.pid})")


def _print_status(status: StackStatus) -> None:
    table = Table(title="tilefarm devnet", show_header=False)
    table.add_row("running", "[green]yes[/]" if status.running else "[red]no[/]")
    rows = {
        "chain id": status.chain_id,
        "block": status.block_number,
        "RPC": status.rpc_url,
        "WebSocket": status.ws_url,
        "IPFS API": status.ipfs_api_url,
        "Kubo": status.kubo_version,
        "deployments": status.deployments_file,
    }
    for key, value in rows.items():
        if value is not None:
            table.add_row(key, str(value))
    for name, address in status.contracts.items():
        table.add_row(name, address)
    for proc in status.processes:
        colour = "green" if proc.healthy else "red"
        table.add_row(proc.name, f"[{colour}]pid {proc.pid}: {proc.detail}[/]")
    for problem in status.problems:
        table.add_row("[red]problem[/]", problem)
    console.print(table)


DEMO = {name: field.default for name, field in DemoOptions.model_fields.items()}


@app.command("demo")
def demo(
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
    out: Annotated[Path, typer.Option(help="where the final frames go")] = Path("out/demo"),
    scene: Annotated[str, typer.Option(help="built-in scene to post")] = "showcase",
    frames: Annotated[str, typer.Option(help="frames of the scene, e.g. 1,12,24")] = ",".join(
        map(str, DEMO["frames"])
    ),
    width: Annotated[int, typer.Option(min=16, max=4096)] = DEMO["width"],
    height: Annotated[int, typer.Option(min=16, max=4096)] = DEMO["height"],
    grid: Annotated[
        str, typer.Option(help="tile grid per frame, COLUMNSxROWS")
    ] = f"{DEMO['columns']}x{DEMO['rows']}",
    samples: Annotated[int, typer.Option(min=1, max=4096)] = DEMO["samples"],
    workers: Annotated[
        int, typer.Option(min=2, max=8, help="worker processes (they verify each other)")
    ] = DEMO["workers"],
    bid_window: Annotated[
        int, typer.Option(min=1, max=3600, help="seconds the job takes sealed bids")
    ] = DEMO["bid_window"],
    reveal_window: Annotated[
        int, typer.Option(min=1, max=3600, help="seconds to open bids (settled once all are)")
    ] = DEMO["reveal_window"],
    render_window: Annotated[
        int | None,
        typer.Option(
            min=10, help="seconds winners have to commit (default 900; 180 with --kill-worker)"
        ),
    ] = None,
    verify_window: Annotated[
        int | None,
        typer.Option(
            min=10, help="seconds of each verification step (default 300; 120 with --kill-worker)"
        ),
    ] = None,
    kill_worker: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="SIGKILL worker N right after it won tiles, before it commits; never restarted: "
            "its tiles go back on the market after the render deadline",
        ),
    ] = None,
    max_rounds: Annotated[
        int, typer.Option(min=0, max=8, help="re-offer rounds for tiles not delivered")
    ] = 3,
    port: Annotated[int, typer.Option(help="marketplace server port")] = 8000,
    chain_port: ChainPort = None,
    ipfs_api_port: ApiPort = None,
    ipfs_gateway_port: GatewayPort = None,
    keep_serving: Annotated[
        bool | None,
        typer.Option(
            help="keep everything running after the summary until Ctrl-C "
            "(default: yes in a terminal, without --json)"
        ),
    ] = None,
    state_dir: Annotated[
        Path | None, typer.Option(help="demo state (default: .tilefarm/demo)")
    ] = None,
) -> None:
    """Run the marketplace end to end: chain, IPFS, server and workers as processes; a job for
    the built-in showcase scene posted through the API; progress; the summary and the frames."""
    import sys

    from tilefarm_cli.demo import DemoError, DemoOptions, DemoRun
    from tilefarm_cli.demo.terminal import TerminalView, summary_text

    try:
        columns, rows = (int(part) for part in grid.lower().split("x"))
        frame_list = [int(f) for f in frames.split(",")]
        if kill_worker is not None:
            # The dead worker's tiles wait for its render deadline, and a draw that picks it as a
            # verifier for its window: short ones keep the demo quick.
            render_window = render_window or 180
            verify_window = verify_window or 120
        fields: dict[str, Any] = {
            "scene": scene, "frames": frame_list, "width": width, "height": height,
            "columns": columns, "rows": rows, "samples": samples, "workers": workers,
            "bid_window": bid_window, "reveal_window": reveal_window, "server_port": port,
            "out_dir": out.resolve(), "chain_port": chain_port, "ipfs_api_port": ipfs_api_port,
            "ipfs_gateway_port": ipfs_gateway_port,
            "state_dir": state_dir.resolve() if state_dir else None,
            "render_window": render_window, "verify_window": verify_window,
            "kill_worker": kill_worker, "max_rounds": max_rounds,
        }  # fmt: skip
        options = DemoOptions(**{k: v for k, v in fields.items() if v is not None})
    except ValueError as exc:
        raise fail(TilefarmError(f"bad demo options: {exc}")) from None
    keep = (not as_json and sys.stdout.isatty()) if keep_serving is None else keep_serving
    view = TerminalView(err)

    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def interrupted(_sig: int, _frame: object) -> None:
        # Once: a second Ctrl-C, or the terminal closing, must not cut the shutdown short.
        for sig in stop_signals:
            signal.signal(sig, signal.SIG_IGN)
        raise KeyboardInterrupt

    for sig in stop_signals:
        signal.signal(sig, interrupted)
    try:
        with DemoRun(options, on_step=view.step, on_progress=view.progress) as run:
            try:
                summary = run.run()
            finally:
                view.close()
            if as_json:
                print(summary.model_dump_json(indent=2))
            else:
                print(summary_text(summary))
            if keep:
                err.print(f"Everything keeps running: the page is at {summary.page_url}. "
                          "Press Ctrl-C to stop.")  # fmt: skip
                try:
                    while True:
                        run.alive()
                        time.sleep(1.0)
                except KeyboardInterrupt:
                    pass  # the way to end a demo that keeps serving: not an error
            err.print("stopping the workers, the server, the chain and IPFS")
    except KeyboardInterrupt:
        err.print("interrupted: everything the demo started is stopped")
        raise typer.Exit(code=130) from None
    except (DemoError, TilefarmError) as exc:
        raise fail(exc) from None


LogFormatOpt = Annotated[
    LogFormat,
    typer.Option(help="json: one JSON object a line on stderr (time, level, logger, message)"),
]


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port")] = None,
    log_format: LogFormatOpt = LogFormat.HUMAN,
) -> None:
    """Run the marketplace server (API and web page); settings from TILEFARM_SERVER_*."""
    as_json = log_format is LogFormat.JSON
    if not as_json:
        _serve(host, port, _teller(as_json), as_json)
        return
    log_json(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)  # each health probe's requests
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # each one loaded
    try:
        _serve(host, port, _teller(as_json), as_json)
    except typer.Exit:
        raise
    except Exception:  # bad settings, a module that fails: a JSON line too, with its traceback
        logging.getLogger("tilefarm_cli.serve").exception("the server stopped on an error")
        raise typer.Exit(code=1) from None


def _serve(
    host: str | None, port: int | None, say: Callable[[int, str], None], as_json: bool
) -> None:
    """`serve`'s work: the settings read, the chain checked, uvicorn run; `say` tells what it
    does before uvicorn starts."""
    import uvicorn

    from marketplace.app import create_app
    from marketplace.settings import MarketplaceSettings

    overrides: dict[str, object] = {
        k: v for k, v in {"host": host, "port": port}.items() if v is not None
    }
    settings = MarketplaceSettings(**overrides)  # type: ignore[arg-type]
    if settings.deployments_file is None:  # follow the local devnet's market when there is one
        devnet = TilefarmSettings()
        candidate = devnet.deployments_dir / f"{devnet.chain_id}.json"
        if candidate.is_file():
            links = {"rpc_url": devnet.rpc_url, "ws_url": devnet.ws_url,
                     "ipfs_api_url": devnet.ipfs_api_url}  # fmt: skip
            unset = {k: v for k, v in links.items() if k not in settings.model_fields_set}
            settings = MarketplaceSettings(**overrides, **unset, deployments_file=candidate)  # type: ignore[arg-type]
            say(
                logging.INFO,
                f"following the devnet's market from {candidate} "
                "(TILEFARM_SERVER_DEPLOYMENTS_FILE chooses another)",
            )
        else:
            say(
                logging.WARNING,
                "no deployments file: serving without a market "
                "(start one with `tilefarm devnet up` or set TILEFARM_SERVER_DEPLOYMENTS_FILE)",
            )
    if settings.deployments_file is not None:
        _refuse_another_chain(settings.rpc_url, settings.deployments_file, say)
    # Always the settings' (uvicorn's own default believes X-Forwarded-For from 127.0.0.1,
    # which would let a local client pick the address its upload limits count against).
    proxy: dict[str, Any] = {
        "proxy_headers": settings.proxy_headers,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
    }
    if as_json:  # uvicorn's own loggers propagate to the JSON handler
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                    log_level="info", log_config=None, **proxy)  # fmt: skip
    else:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                    log_level="info", **proxy)  # fmt: skip


Teller = Callable[[int, str], None]  # (level, message); an ERROR also ends the command


def _teller(as_json: bool) -> Teller:
    """How `serve` says what it does before uvicorn starts: as before (a line on stdout, a
    warning or `error:` on stderr), or as JSON log records; an ERROR ends the command."""
    log = logging.getLogger("tilefarm_cli.serve")

    def say(level: int, message: str) -> None:
        if as_json:
            log.log(level, message)
        elif level >= logging.ERROR:
            err.print(f"[bold red]error:[/] {escape(message)}")
        else:
            typer.echo(message, err=level >= logging.WARNING)
        if level >= logging.ERROR:
            raise typer.Exit(code=1)

    return say


def _refuse_another_chain(rpc_url: str, deployments_file: Path, say: Teller) -> None:
    """Stop before serving a market the node does not have (another chain, no contract). A node
    that is not up yet is no reason to stop: the indexer waits for it and checks it then."""
    import requests

    from tilefarm.adapters.chain.connection import check_market, connect_web3
    from tilefarm.adapters.chain.deploy import read_deployments

    try:
        deployments = read_deployments(deployments_file)
        w3 = connect_web3(rpc_url, timeout=5, retries=1)
        check_market(
            w3, deployments.address("JobMarket"), rpc_url, deployments.chain_id,
            f"the deployments file {deployments_file}",
        )  # fmt: skip
    except TilefarmError as exc:  # WrongChain, or an unreadable deployments file
        say(logging.ERROR, str(exc))
    except (requests.RequestException, OSError) as exc:
        say(logging.WARNING, f"the chain at {rpc_url} is not reachable yet ({exc}); indexing waits")


@app.command("verify")
def verify(
    job_id: Annotated[int, typer.Argument(help="the job to check")],
    worker: Annotated[str | None, typer.Option(help="only this worker's results")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the reports as JSON")] = False,
    rpc_url: Annotated[str | None, typer.Option(help="chain RPC (default: the devnet's)")] = None,
    ipfs_api_url: Annotated[str | None, typer.Option(help="Kubo RPC API")] = None,
    deployments: Annotated[Path | None, typer.Option(help="deployments JSON")] = None,
    state_dir: StateDir = None,
) -> None:
    """Check a job's revealed results as a verifier would, from the chain and IPFS alone, and
    report without sealing or attesting: re-render the patches, then judge them against the
    revealed tiles. Patches come from each worker's on-chain draw (or a local random seed, said
    so, when no verifier was drawn yet); results not revealed yet fail, said so."""
    import os
    import tempfile

    from tilefarm.adapters.blender.launcher import BlenderChild
    from tilefarm.adapters.chain.bindings import JobMarketClient
    from tilefarm.adapters.chain.connection import connect_web3
    from tilefarm.adapters.chain.deploy import read_deployments
    from tilefarm.adapters.ipfs import KuboClient
    from tilefarm.checks.verification import (
        check_results,
        claim_from_chain,
        committed_workers,
        drawn_seed,
    )
    from tilefarm.types import hex32

    settings = _settings(state_dir=state_dir)
    try:
        w3 = connect_web3(rpc_url or settings.rpc_url)
        file = deployments or settings.deployments_dir / f"{w3.eth.chain_id}.json"
        market = JobMarketClient.from_build(w3, read_deployments(file).address("JobMarket"))
        workers = [worker] if worker else committed_workers(market, job_id)
        if not workers:
            raise TilefarmError(f"no worker has committed results to job {job_id} yet")
        reports = []
        with KuboClient(ipfs_api_url or settings.ipfs_api_url) as ipfs, BlenderChild() as child:
            for who in workers:
                seed = drawn_seed(market, job_id, who)
                claim = claim_from_chain(market, job_id, who, seed or hex32(os.urandom(32)))
                with tempfile.TemporaryDirectory() as scratch:
                    report, _evidence = check_results(claim, ipfs, Path(scratch), child)
                reports.append((report, seed is not None))
    except TilefarmError as exc:
        raise fail(exc) from None
    if as_json:
        out = [
            {
                **json.loads(r.model_dump_json()),
                "seed_from_chain": from_chain,
            }
            for r, from_chain in reports
        ]
        print(json.dumps(out, indent=2))
    else:
        for report, from_chain in reports:
            verdict = "[green]PASS[/]" if report.passed else "[red]FAIL[/]"
            origin = "the chain's draw" if from_chain else "a local random seed (no draw yet)"
            console.print(
                f"job {job_id} worker {report.claim.worker}: {verdict} - {escape(report.reason)}"
            )
            console.print(f"  {len(report.patches)} patches from {origin}")
    if not all(r.passed for r, _ in reports):
        raise typer.Exit(code=2)


@app.command("deploy")
def deploy(
    network: Annotated[str, typer.Option(help="network id in the network config")],
    keystore: Annotated[
        Path,
        typer.Option(envvar="TILEFARM_DEPLOYER_KEYSTORE", help="the deployer's encrypted key"),
    ],
    password: Annotated[
        str | None,
        typer.Option(envvar="TILEFARM_DEPLOYER_PASSWORD", hidden=True, show_envvar=False),
    ] = None,
    treasury: Annotated[
        str | None, typer.Option(help="collects protocol fees (default: the deployer)")
    ] = None,
    networks_file: Annotated[
        Path | None, typer.Option(help="Brownie network config (default: network-config.yaml)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="deployments folder (default: deployments/)")
    ] = None,
) -> None:
    """Deploy the contracts to a public network with production market parameters, signing with
    a keystore (password from TILEFARM_DEPLOYER_PASSWORD or a prompt); a re-run deploys only
    what is missing. Writes <out>/<chain id>.json for the server and workers."""
    from tilefarm.adapters.chain.networks import NETWORK_CONFIG, find_network
    from tilefarm.adapters.chain.remote import deploy_to_network, unlock_keystore
    from tilefarm.adapters.paths import BUILD_DIR, PROJECT_ROOT

    try:
        target = find_network(network, networks_file or NETWORK_CONFIG)
        target.rpc_url()  # an unset RPC variable is reported before the password is asked
        secret = password or str(typer.prompt("keystore password", hide_input=True))
        account = unlock_keystore(keystore, secret)
        console.print(f"deploying to {target.name} (chain {target.chainid})")
        console.print(f"  deployer {account.address}")
        deployments = deploy_to_network(
            target,
            account,
            BUILD_DIR,
            out or PROJECT_ROOT / "deployments",
            treasury=treasury,
            on_step=lambda s: console.print(f"  {s.name}: {s.outcome} at {s.contract.address}"),
        )
    except TilefarmError as exc:
        raise fail(exc) from None
    path = (out or PROJECT_ROOT / "deployments") / f"{deployments.chain_id}.json"
    console.print(f"deployments written to {path}", markup=False)

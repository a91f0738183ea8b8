"""`tilefarm audit`: re-check a job, or every job, from the chain and IPFS alone."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from tilefarm.adapters.console import console, err, fail
from tilefarm.errors import TilefarmError
from tilefarm_cli.settings import TilefarmSettings

if TYPE_CHECKING:
    from tilefarm.adapters.chain.bindings import JobMarketClient

audit_app = typer.Typer(
    help="Re-check jobs from the chain and IPFS alone (never a server's database).",
    no_args_is_help=True,
)

RpcUrl = Annotated[str | None, typer.Option(help="chain RPC (default: the devnet's)")]
IpfsUrl = Annotated[str | None, typer.Option(help="Kubo RPC API (default: the devnet's)")]
DeploymentsFile = Annotated[Path | None, typer.Option(help="deployments JSON of the market")]
StateDir = Annotated[Path | None, typer.Option(help="state folder (default: .tilefarm/)")]


def _market(
    rpc_url: str | None, deployments: Path | None, state_dir: Path | None
) -> "tuple[JobMarketClient, TilefarmSettings, int]":
    """The market of the deployments file, the settings, and the market's deployment block."""
    from tilefarm.adapters.chain.bindings import JobMarketClient
    from tilefarm.adapters.chain.connection import connect_web3
    from tilefarm.adapters.chain.deploy import read_deployments

    settings = TilefarmSettings() if state_dir is None else TilefarmSettings(state_dir=state_dir)
    w3 = connect_web3(rpc_url or settings.rpc_url)
    file = deployments or settings.deployments_dir / f"{w3.eth.chain_id}.json"
    deployed = read_deployments(file)
    market = JobMarketClient.from_build(w3, deployed.address("JobMarket"))
    return market, settings, deployed.contracts["JobMarket"].block_number


@audit_app.command("job")
def audit_job_command(
    job_id: Annotated[int, typer.Argument(help="the job to audit", min=1)],
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    rerender: Annotated[
        bool, typer.Option("--rerender", help="re-render the verified patches in Blender")
    ] = False,
    all_tiles: Annotated[
        bool,
        typer.Option("--all-tiles", help="with --rerender: every tile whole (costs the job)"),
    ] = False,
    rpc_url: RpcUrl = None,
    ipfs_api_url: IpfsUrl = None,
    deployments: DeploymentsFile = None,
    state_dir: StateDir = None,
) -> None:
    """Replay one job with its re-offer rounds (a round's id replays the job it is a round of):
    manifest, results lists, Merkle proofs, tiles, verification evidence, frames, money, and
    every tile through the rounds (none held or paid twice). Exits 2 when a check fails, 1 when
    the audit cannot run."""
    from tilefarm.adapters.ipfs import KuboClient
    from tilefarm.checks.audit.history import read_history
    from tilefarm.checks.audit.job import audit_job

    try:
        market, settings, start = _market(rpc_url, deployments, state_dir)
        with KuboClient(ipfs_api_url or settings.ipfs_api_url) as ipfs:
            history = read_history(market, job_id, start)
            report = audit_job(
                history, ipfs, market=market, rerender=rerender or all_tiles, all_tiles=all_tiles
            )
    except TilefarmError as exc:
        raise fail(exc) from None
    if as_json:
        print(report.model_dump_json(indent=2))
    else:
        table = Table(title=f"audit of job {job_id} ({report.status})")
        for column in ("", "check", "found"):
            table.add_column(column)
        for check in report.checks:
            mark = "[green]ok[/]" if check.ok else "[red]FAIL[/]"
            table.add_row(mark, escape(check.name), escape(check.detail))
        console.print(table)
        for frame in report.frames:
            console.print(
                f"frame {frame.frame}: png {frame.png_cid}, exr {frame.exr_cid} {frame.note}",
                markup=False,
            )
        failed = len(report.failed)
        verdict = "[green]PASS[/]" if report.ok else f"[red]FAIL[/] ({failed} failed check(s))"
        console.print(f"job {job_id}: {verdict}")
    if not report.ok:
        for check in report.failed:
            err.print(f"failed: {check.name}: {check.detail}", markup=False)
        raise typer.Exit(code=2)


@audit_app.command("ledger")
def audit_ledger_command(
    as_csv: Annotated[bool, typer.Option("--csv", help="print CSV")] = False,
    content: Annotated[
        bool,
        typer.Option(
            "--content",
            help="also audit every job's content as `audit job` does (manifest, results "
            "lists, every tile, evidence, frames): reads the whole market from IPFS",
        ),
    ] = False,
    rpc_url: RpcUrl = None,
    ipfs_api_url: IpfsUrl = None,
    deployments: DeploymentsFile = None,
    state_dir: StateDir = None,
) -> None:
    """Every posted job's books, its rounds' included (escrow, paid, fees, refunded, held), and
    whether they pass the audit (with `--content`, every check of `audit job` too), and whether
    the market's balance equals what it owes. From the chain alone unless `--content`. Exits 2
    when either fails."""
    from tilefarm.adapters.ipfs import KuboClient
    from tilefarm.checks.audit.history import read_histories
    from tilefarm.checks.audit.job import audit_books, audit_job
    from tilefarm.checks.audit.ledger import ledger_csv, ledger_row
    from tilefarm.checks.audit.solvency import solvency

    try:
        market, settings, start = _market(rpc_url, deployments, state_dir)
        block = int(market.w3.eth.block_number)  # the books and the balances of one state
        histories = read_histories(market, start, block)
        if content:
            with KuboClient(ipfs_api_url or settings.ipfs_api_url) as ipfs:
                rows = [ledger_row(audit_job(h, ipfs, market=market), "all") for h in histories]
        else:
            rows = [ledger_row(audit_books(h), "books") for h in histories]
        books = solvency(market, histories, start, block)
    except TilefarmError as exc:
        raise fail(exc) from None
    if as_csv:
        print(ledger_csv(rows), end="")
    else:
        table = Table(title="tilefarm audit ledger (wei)")
        columns = ("job", "status", "rounds", "escrow", "paid", "fees", "refunded", "held", "audit")
        for column in columns:
            table.add_column(column)
        for r in rows:
            audit = "[green]ok[/]" if r.audit_ok else f"[red]FAIL[/] {r.failed_checks}"
            table.add_row(
                str(r.job_id), r.status, str(r.rounds), str(r.escrow), str(r.paid), str(r.fees),
                str(r.refunded), str(r.held), audit,
            )  # fmt: skip
        console.print(table)
    # On stderr with --csv, so that stdout stays one CSV row per job.
    (err if as_csv else console).print(
        f"market holds {books.balance} wei and owes {books.owed} (escrow {books.escrow}, bid "
        f"bonds {books.bid_bonds}, dispute bonds {books.dispute_bonds}, {books.account_count} "
        f"accounts {books.accounts}): {'balanced' if books.balanced else 'NOT BALANCED'}",
        soft_wrap=True,
    )
    for mismatch in books.credit_mismatches:
        err.print(f"credited against the rules: {mismatch}", markup=False, soft_wrap=True)
    if not books.ok or not all(r.audit_ok for r in rows):
        raise typer.Exit(code=2)

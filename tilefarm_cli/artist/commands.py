"""The artist's commands as `tilefarm` registers them (`submit`, `watch`, `fetch`): options and
output here, the work in `submit`, `watch` and `fetch`.

Exit codes: 0 done; 1 an error (said on stderr); 3 the job, or what was fetched of it, is not
whole: cancelled or expired, tiles never delivered, or frames and film not ready yet.
"""

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.markup import escape

from tilefarm.adapters.console import console, err, fail, warn
from tilefarm.errors import TilefarmError
from tilefarm_cli.artist import job_params as defaults
from tilefarm_cli.artist.deposit import DEFAULT_MAX_PROTOCOL_FEE
from tilefarm_cli.artist.errors import ArtistError, BadAnswer, PostNotConfirmed
from tilefarm_cli.artist.gas import DEFAULT_MAX_GAS_FEE

if TYPE_CHECKING:
    from tilefarm_cli.artist.tile_states import JobState

NOT_WHOLE = 3
LOCAL_SERVER = "http://127.0.0.1:8000"

Server = Annotated[
    str,
    typer.Option(envvar="TILEFARM_SERVER_URL", help="the marketplace server"),
]
AsJson = Annotated[bool, typer.Option("--json", help="machine-readable output on stdout")]


def _step(quiet: bool) -> Callable[[str], None]:
    """Progress lines on stderr (none with --json: stdout is the program's answer)."""

    def say(message: str) -> None:
        if not quiet:
            err.print(f"[bold cyan]>[/] {escape(message)}", highlight=False)

    return say


def _say(message: str) -> None:
    """What is said on stderr even with --json: the money, and the transaction to look up."""
    err.print(f"[bold cyan]>[/] {escape(message)}", highlight=False)


@contextmanager
def _boundary(server: str) -> Iterator[None]:
    """Every error a command can meet, said in words (exit 1), never as a traceback: its own
    errors, and as a last resort an answer no model caught (a server of another version)."""
    try:
        yield
    except TilefarmError as exc:
        raise fail(exc) from None
    except (ValidationError, KeyError, TypeError) as exc:
        problem = f"{type(exc).__name__}: {exc}".splitlines()[0]
        raise fail(BadAnswer(server.rstrip("/"), "a request", problem)) from None


def _password(given: str | None) -> str:
    """The keystore's password: TILEFARM_ARTIST_PASSWORD, a prompt on a terminal, else the
    first line of stdin (a pipeline's secret store)."""
    if given:
        return given
    if sys.stdin.isatty():
        return str(typer.prompt("keystore password", hide_input=True, err=True))
    secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        raise ArtistError(
            "no keystore password: set TILEFARM_ARTIST_PASSWORD, pipe it on stdin, or run in a "
            "terminal to be asked"
        )
    return secret


def submit_command(
    scene: Annotated[Path, typer.Argument(help="the .blend to render", show_default=False)],
    keystore: Annotated[
        Path,
        typer.Option(envvar="TILEFARM_ARTIST_KEYSTORE", help="the artist's encrypted key (JSON)"),
    ],
    server: Server = LOCAL_SERVER,
    frames: Annotated[
        str | None, typer.Option(help="e.g. 1-240x2, 1,5,9-12 (default: the scene's range)")
    ] = None,
    resolution: Annotated[
        str | None, typer.Option(help="WIDTHxHEIGHT (default: the scene's, times its %)")
    ] = None,
    samples: Annotated[int | None, typer.Option(min=1, help="default: the scene's")] = None,
    grid: Annotated[
        str, typer.Option(help="tiles per frame, COLUMNSxROWS")
    ] = defaults.DEFAULT_GRID,
    seed: Annotated[int, typer.Option(min=0, help="Cycles' seed")] = 0,
    max_price: Annotated[
        str, typer.Option(help="ETH per tile at most")
    ] = defaults.DEFAULT_MAX_PRICE,
    verify_fee: Annotated[
        str, typer.Option(help="ETH per tile to verifiers")
    ] = defaults.DEFAULT_VERIFY_FEE,
    bid_bond: Annotated[
        str | None, typer.Option(help="ETH a bidder locks (default: 0.0001, or the market's least)")
    ] = None,
    bid_window: Annotated[
        int, typer.Option(min=1, help="seconds of sealed bids")
    ] = defaults.DEFAULT_BID_WINDOW,
    reveal_window: Annotated[
        int, typer.Option(min=1, help="seconds to open bids")
    ] = defaults.DEFAULT_REVEAL_WINDOW,
    render_window: Annotated[
        int, typer.Option(min=1, help="seconds winners have to commit")
    ] = defaults.DEFAULT_RENDER_WINDOW,
    verify_window: Annotated[
        int, typer.Option(min=1, help="seconds of each verification step")
    ] = defaults.DEFAULT_VERIFY_WINDOW,
    max_rounds: Annotated[
        int,
        typer.Option(
            min=0, max=defaults.MAX_ROUNDS, help="re-offer rounds for tiles not delivered"
        ),
    ] = defaults.DEFAULT_ROUNDS,
    final_deadline: Annotated[
        str,
        typer.Option(help="no round opens after: 3d, 72h after the reveals, or 2030-01-31T18:00"),
    ] = defaults.DEFAULT_FINAL_DEADLINE,
    allow_missing: Annotated[
        bool,
        typer.Option("--allow-missing", help="post a scene that names files it does not carry"),
    ] = False,
    cycles_instead: Annotated[
        bool,
        typer.Option("--cycles-instead", help="render an Eevee or Workbench scene with Cycles"),
    ] = False,
    pack: Annotated[
        bool, typer.Option(help="upload a copy with the scene's images and libraries packed in")
    ] = True,
    pack_from: Annotated[
        list[Path] | None,
        typer.Option(
            "--pack-from",
            file_okay=False,
            help="a folder outside the scene's own whose files may be packed (asset library); "
            "repeatable",
        ),
    ] = None,
    rpc_url: Annotated[
        str | None,
        typer.Option(
            help="a node of the chain you trust (default: the server's, if on this machine or "
            "with --chain-id and --market pinned)"
        ),
    ] = None,
    market: Annotated[
        str | None,
        typer.Option(help="the market's address you expect; refused if the server's differs"),
    ] = None,
    chain_id: Annotated[
        int | None,
        typer.Option(min=1, help="the chain id you expect; refused if the server's differs"),
    ] = None,
    max_protocol_fee: Annotated[
        str, typer.Option(help="the highest protocol fee you accept, in percent")
    ] = DEFAULT_MAX_PROTOCOL_FEE,
    max_gas_fee: Annotated[
        str,
        typer.Option(
            help="ETH postJob's gas may cost at most (gas limit x max fee per gas), whatever "
            "the node suggests; 0.01 covers postJob's ~160,000 gas at up to ~60 gwei"
        ),
    ] = DEFAULT_MAX_GAS_FEE,
    receipt_timeout: Annotated[
        float, typer.Option(min=1, help="seconds to wait for postJob to be mined")
    ] = defaults.DEFAULT_RECEIPT_TIMEOUT,
    password: Annotated[
        str | None, typer.Option(envvar="TILEFARM_ARTIST_PASSWORD", hidden=True, show_envvar=False)
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Post a job for a .blend: pack its assets into a copy, upload it, store the manifest (the
    scene's look included) and sign postJob with the artist's keystore (password from
    TILEFARM_ARTIST_PASSWORD or a prompt). Prints the job id, its page and the transaction."""
    from tilefarm_cli.artist.submit import SubmitOptions, submit
    from tilefarm_cli.artist.submit_view import show_submitted

    try:
        options = SubmitOptions(
            scene=scene, server=server, keystore=keystore, frames=frames, resolution=resolution,
            samples=samples, grid=grid, seed=seed, max_price=max_price, verify_fee=verify_fee,
            bid_bond=bid_bond, bid_window=bid_window, reveal_window=reveal_window,
            render_window=render_window, verify_window=verify_window, max_rounds=max_rounds,
            final_deadline=final_deadline, allow_missing=allow_missing,
            cycles_instead=cycles_instead, pack=pack, pack_from=pack_from or [],
            rpc_url=rpc_url, market=market,
            chain_id=chain_id, max_protocol_fee=max_protocol_fee, max_gas_fee=max_gas_fee,
            receipt_timeout=receipt_timeout,
        )  # fmt: skip
        with _boundary(server):
            try:
                posted = submit(options, lambda: _password(password), _step(as_json), warn, _say)
            except PostNotConfirmed as exc:
                if as_json:  # what a pipeline must keep: the transaction to look up
                    print(json.dumps({"error": str(exc), "tx_hash": exc.tx_hash, **exc.details}))
                raise
    except ValidationError as exc:  # the options themselves (SubmitOptions)
        raise fail(ArtistError(str(exc))) from None
    if as_json:
        print(posted.model_dump_json())
        return
    show_submitted(posted, server)


def watch_command(
    job_id: Annotated[int, typer.Argument(min=1, help="the job id `submit` printed")],
    server: Server = LOCAL_SERVER,
    until: Annotated[
        str,
        typer.Option(
            help="frames: until every frame (and the film) is ready; completed: until the job "
            "is also completed on chain (after the contest window)"
        ),
    ] = "frames",
    interval: Annotated[float, typer.Option(min=0.2, help="seconds between looks")] = 2.0,
    timeout: Annotated[
        float | None, typer.Option(min=1, help="give up after these seconds")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Follow a job: tiles sold, committed, revealed and verified, frames assembled, the film,
    and the time left. Exit 0 when it is done, 3 when it ended without every frame whole."""
    from tilefarm_cli.artist.client import open_server
    from tilefarm_cli.artist.watch import watch
    from tilefarm_cli.artist.watch_view import WatchView

    if until not in ("frames", "completed"):
        raise fail(ArtistError(f"--until {until!r}: choose frames or completed"))
    view = WatchView(err)

    def show(state: "JobState", changed: bool) -> None:
        if as_json:
            if changed:
                print(state.model_dump_json(), flush=True)
        else:
            view.show(state, changed)

    try:
        with _boundary(server), open_server(server) as api:
            final = watch(api, job_id, show, until=until, interval=interval, timeout=timeout)  # type: ignore[arg-type]
    except KeyboardInterrupt:
        raise typer.Exit(code=130) from None
    finally:
        view.close()
    if not as_json:
        (console.print if final.ok else warn)(final.message or "")
    if not final.ok:
        raise typer.Exit(code=NOT_WHOLE)


def fetch_command(
    job_id: Annotated[int, typer.Argument(min=1, help="the job to download")],
    server: Server = LOCAL_SERVER,
    out: Annotated[
        Path | None, typer.Option(help="folder for the files (default: job-<id>)")
    ] = None,
    max_bytes: Annotated[
        str, typer.Option(help="the largest file to download: 64GiB, 500MiB, or bytes")
    ] = "64GiB",
    as_json: AsJson = False,
) -> None:
    """Download a job's assembled frames (PNG and EXR) and, for several frames, its film (MP4)
    and the frames' archive (ZIP), checking each file against its CID. Exit 3 when something is
    not ready yet (it says what)."""
    from tilefarm_cli.artist.client import open_server
    from tilefarm_cli.artist.downloads import parse_size
    from tilefarm_cli.artist.fetch import fetch

    folder = out or Path(f"job-{job_id}")
    with _boundary(server):
        largest = parse_size(max_bytes, "--max-bytes")
        with open_server(server) as api:
            got = fetch(api, job_id, folder, _step(as_json), max_bytes=largest)
    if as_json:
        print(got.model_dump_json())
    else:
        files = sum(len(f.files) for f in got.frames) + (len(got.film.files) if got.film else 0)
        said = f"{files} files of job {job_id} in {folder}, every CID checked"
        console.print(said if files else f"nothing of job {job_id} is ready yet", markup=False)
    for problem in got.problems:
        warn(problem)
    if not got.complete:
        raise typer.Exit(code=NOT_WHOLE)

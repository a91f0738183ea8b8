"""How the command-line programs (`tilefarm`, `render-worker`) talk to people.

Both consoles never wrap a line to the terminal's width, so a path, CID or address stays whole to
copy. Errors and warnings print their message as it is, never read as markup: a path or a
Blender error may hold square brackets. Logs keep each record on one line when they go to a file."""

import logging

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape

from tilefarm import PROTOCOL_VERSION, __version__

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def fail(exc: Exception | str) -> typer.Exit:
    """Print `error: exc` and return the exit (code 1) for the caller to raise."""
    err.print(f"[bold red]error:[/] {escape(str(exc))}")
    return typer.Exit(code=1)


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/] {escape(message)}")


def log_handler(to: Console) -> logging.Handler:
    """Where a long-running command logs: rich's columns on a terminal; in a file or a pipe, one
    line a record with its time and level, so that a transaction hash or CID is never cut in two
    and a grep finds it (rich wraps at 80 columns there)."""
    if to.file.isatty():  # the stream itself: FORCE_COLOR makes rich take a file for a terminal
        return RichHandler(console=to, show_path=False)
    handler = logging.StreamHandler(to.file)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return handler


def add_version_option(app: typer.Typer, program: str) -> None:
    """Give `app` a `--version` that prints `program`, the package and the protocol version."""

    def show(value: bool) -> None:
        if value:
            typer.echo(f"{program} {__version__} (protocol {PROTOCOL_VERSION})")
            raise typer.Exit()

    def options(
        version: bool = typer.Option(
            False, "--version", callback=show, is_eager=True, help="print the version and exit"
        ),
    ) -> None:
        pass

    app.callback()(options)

"""How the command-line programs (`tilefarm`, `render-worker`) talk to people.

Both consoles never wrap a line to the terminal's width, so a path, CID or address stays whole to
copy. Errors and warnings print their message as it is, never read as markup: a path or a
Blender error may hold square brackets."""

import typer
from rich.console import Console
from rich.markup import escape

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def fail(exc: Exception | str) -> typer.Exit:
    """Print `error: exc` and return the exit (code 1) for the caller to raise."""
    err.print(f"[bold red]error:[/] {escape(str(exc))}")
    return typer.Exit(code=1)


def warn(message: str) -> None:
    err.print(f"[yellow]warning:[/] {escape(message)}")

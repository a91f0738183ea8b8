"""How `tilefarm watch` shows a job: in a terminal, a live panel with a bar per tile state, the
frames and the film, and an estimate of the time left; in a log or pipe, one line per change;
with `--json`, one JSON object per change on stdout."""

from rich.console import Console, Group
from rich.live import Live
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from tilefarm_cli.artist.job_params import seconds_text
from tilefarm_cli.artist.tile_states import JobState

BAR_WIDTH = 40
ROWS = (
    ("sold", "sold to workers"),
    ("committed", "committed (rendered)"),
    ("revealed", "revealed on IPFS"),
    ("verified", "verified"),
)


def eta_text(s: JobState) -> str:
    if s.done:
        return ""
    if s.eta_seconds is None:
        return "time left: estimating"
    if s.eta_seconds == 0:
        return "tiles done"
    return f"about {seconds_text(s.eta_seconds)} left"


def panel(s: JobState) -> Group:
    """The job's bars, one a tile state, then the frames."""
    table = Table.grid(padding=(0, 1))
    for name, label in ROWS:
        done = getattr(s, name)
        table.add_row(
            label, ProgressBar(total=max(s.tiles, 1), completed=done, width=BAR_WIDTH),
            f"{done}/{s.tiles} tiles",
        )  # fmt: skip
    table.add_row(
        "frames assembled",
        ProgressBar(total=max(s.frames, 1), completed=s.frames_assembled, width=BAR_WIDTH),
        f"{s.frames_assembled}/{s.frames}",
    )
    title = Text.assemble(
        (f"job {s.job_id}", "bold"), f"  {s.status}: {s.stage}  ", (eta_text(s), "cyan")
    )
    lines: list[Text | Table] = [title, table]
    if s.film is not None:
        lines.append(Text(f"film: {s.film}" + (f" ({s.film_error})" if s.film_error else "")))
    return Group(*lines)


def line(s: JobState) -> str:
    """The job's state in one line (a log, a pipe)."""
    tiles = ", ".join(f"{name} {getattr(s, name)}/{s.tiles}" for name, _ in ROWS)
    film = f"; film {s.film}" if s.film is not None else ""
    eta = f"; {eta_text(s)}" if eta_text(s) else ""
    return (
        f"job {s.job_id} {s.status}: {s.stage}; tiles {tiles}; frames "
        f"{s.frames_assembled}/{s.frames}{film}{eta}"
    )


class WatchView:
    """Shows each look at the job on `console` (a live panel on a terminal, else lines)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live: Live | None = None

    def show(self, s: JobState, changed: bool) -> None:
        if not self.console.is_terminal:
            if changed:
                self.console.print(line(s), markup=False, highlight=False)
            return
        if self.live is None:
            self.live = Live(panel(s), console=self.console, refresh_per_second=4)
            self.live.start()
        else:
            self.live.update(panel(s))

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None

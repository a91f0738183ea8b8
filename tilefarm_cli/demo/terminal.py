"""The demo in a terminal: steps as lines, the job's progress as a live table per frame, and
the summary at the end."""

from rich.console import Console
from rich.live import Live
from rich.table import Table
from web3 import Web3

from tilefarm_cli.demo.progress import JobProgress
from tilefarm_cli.demo.summary import DemoSummary


def _eth(wei: int | None) -> str:
    return "-" if wei is None else f"{Web3.from_wei(wei, 'ether'):f} ETH"


def progress_table(p: JobProgress) -> Table:
    table = Table(
        "frame", "assigned", "rendered", "committed", "verified", "assembled",
        title=f"job {p.job_id}: {p.stage}",
        caption=f"bids: {p.bids_sealed} sealed, {p.bids_revealed} revealed "
        f"({p.tiles_offered} tiles offered); chain status {p.status}",
    )  # fmt: skip
    for f in p.frames:
        table.add_row(
            str(f.frame), f"{f.assigned}/{f.tiles}", f"{f.rendered}/{f.tiles}",
            f"{f.committed}/{f.tiles}", f"{f.verified}/{f.tiles}",
            "[green]yes[/]" if f.assembled else "-",
        )  # fmt: skip
    return table


class TerminalView:
    """Steps and a live progress table on `console` (stderr, so `--json` stays clean)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.live: Live | None = None

    def step(self, message: str) -> None:
        if self.live is None:
            self.console.print(f"[bold cyan]>[/] {message}")
        else:
            self.live.console.print(f"[bold cyan]>[/] {message}")

    def progress(self, p: JobProgress) -> None:
        if self.live is None:
            self.live = Live(progress_table(p), console=self.console, refresh_per_second=4)
            self.live.start()
        else:
            self.live.update(progress_table(p))

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
            if not self.console.is_terminal:  # rich ends the line only on a terminal
                self.console.line()


def summary_text(s: DemoSummary) -> str:
    """The summary as plain lines: nothing is cut, CIDs and paths can be copied whole."""
    marks = ", ".join(f"{k.replace('_', ' ')} {v:.1f} s" for k, v in s.seconds_from_post.items())
    lines = [
        f"tilefarm demo: job {s.job_id} {s.status} in {s.wall_seconds:.1f} s",
        f"  scene      {s.scene}  {s.scene_cid}",
        f"  manifest   {s.manifest_cid}",
        f"  frames     {', '.join(map(str, s.frames))} at {s.resolution}, {s.samples} samples",
        f"  tiles      {s.tiles} ({s.tile_grid} a frame)",
        f"  artist     {s.artist}",
        f"  money      deposit {_eth(s.deposit_wei)}; to workers {_eth(s.paid_to_workers_wei)}, "
        f"to verifiers {_eth(s.paid_to_verifiers_wei)}, refunded {_eth(s.refunded_wei)}",
        f"  gas        {s.gas.gas_used:,} in {s.gas.transactions} transactions "
        f"({s.gas.gas_per_tile:,.0f} a tile)",
        f"  time       after posting: {marks}",
        f"  rounds     {s.rounds} re-offer round(s); every frame "
        + ("holds every tile" if s.frames_complete else "does NOT hold every tile"),
    ]
    if s.killed_worker is not None:
        k = s.killed_worker
        when = "never (it won no tiles)" if k.after_seconds is None else f"{k.after_seconds} s"
        lines.append(f"  killed     worker {k.number} ({k.address}) after posting: {when}")
    lines.append("workers")
    for w in s.workers:
        frames = ", ".join(map(str, w.frames))
        lines.append(
            f"  {w.address}  round {w.round}  tiles {w.tiles} (frame {frames}) at "
            f"{_eth(w.price_per_tile_wei)} a tile, paid {_eth(w.paid_wei)}; checked by "
            f"{w.verified_by or '-'}: {w.verdict} ({w.state})"
        )
    lines.append("final frames")
    width = max((len(str(f.frame)) for f in s.frame_files), default=0)
    for f in s.frame_files:
        if f.status != "assembled":
            lines.append(f"  frame {f.frame}: {f.status}")
            continue
        holes = f"  (tiles {f.missing_tiles} missing)" if f.missing_tiles else ""
        lines.append(f"  frame {f.frame:<{width}}  PNG {f.png_file}  {f.png_cid}{holes}")
        lines.append(f"  {'':<{width + 6}}  EXR {f.exr_file}  {f.exr_cid}")
    lines.append(f"page  {s.page_url}")
    lines.append(f"API   {s.job_api_url}")
    if s.ipfs_nodes:
        lines.append("IPFS  " + ", ".join(f"{who} {url}" for who, url in s.ipfs_nodes.items()))
    lines.append(f"logs  {s.logs}")
    lines += [f"note: {note}" for note in s.notes]
    return "\n".join(lines)

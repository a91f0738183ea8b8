"""`render-worker`: the node operator's command line.

render-worker devices              what Cycles sees on this machine, and what `auto` picks
render-worker benchmark            samples per minute per backend on the reference scene, stored
                                   in the worker's state for pricing
render-worker render SCENE.blend   render tiles through the sandboxed child and stitch them
render-worker init|stake|unstake|run|status|withdraw
                                   operate a worker (render_worker/node.py)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from render_worker.node import ConfigOpt, load_settings
from render_worker.node import register as register_node_commands
from render_worker.settings import WorkerSettings
from render_worker.state.store import WorkerState
from render_worker.work.benchmark import run_benchmark
from render_worker.work.local_render import parse_grid, parse_size, render_scene
from render_worker.work.machine import store_benchmark
from tilefarm.adapters.blender.devices import parse_device_spec, select_devices
from tilefarm.adapters.blender.launcher import BlenderChild, RenderedRegion
from tilefarm.adapters.console import add_version_option, console, err, fail, warn
from tilefarm.errors import TilefarmError

app = typer.Typer(help="tilefarm render worker: render, benchmark, devices.", no_args_is_help=True)

add_version_option(app, "render-worker")


register_node_commands(app)

JsonFlag = Annotated[bool, typer.Option("--json", help="print machine-readable JSON")]
DevicesOpt = Annotated[
    str | None,
    typer.Option(help="'auto', 'cpu', 'cuda,cpu' or device ids (default: RENDER_WORKER_DEVICES)"),
]
ThreadsOpt = Annotated[
    int | None, typer.Option(help="CPU threads, 0 = all (default: RENDER_WORKER_THREADS)")
]


def _settings(devices: str | None = None, threads: int | None = None) -> WorkerSettings:
    settings = WorkerSettings()
    updates: dict[str, object] = {}
    if devices is not None:
        updates["devices"] = devices
    if threads is not None:
        updates["threads"] = threads
    return settings.model_copy(update=updates)


@app.command()
def devices(devices: DevicesOpt = None, as_json: JsonFlag = False) -> None:
    """List the devices Cycles sees and the ones the configuration selects."""
    settings = _settings(devices)
    try:
        spec = parse_device_spec(settings.devices)
        with BlenderChild(sandbox=settings.sandbox, scratch_root=settings.scratch_dir) as child:
            available = child.list_devices()
            isolated, isolation = child.isolated, child.isolation
        selection = select_devices(available, spec)
    except TilefarmError as exc:
        raise fail(exc) from exc
    if as_json:
        payload = {
            "devices": [d.model_dump() for d in available],
            "setting": settings.devices,
            "selection": selection.model_dump(),
            "sandboxed": isolated,
        }
        console.print_json(json.dumps(payload))
        return
    chosen = {d.id for d in selection.devices}
    table = Table(title="Cycles devices")
    for column in ("type", "name", "id", "selected"):
        table.add_column(column)
    for d in available:
        table.add_row(d.type, d.name, d.id, "yes" if d.id in chosen else "")
    console.print(table)
    console.print(f"setting [bold]{settings.devices}[/] -> backend [bold]{selection.backend}[/]")
    console.print("sandbox: " + (f"on ({isolation})" if isolated else "[red]off[/]"))
    for warning in selection.warnings:
        warn(warning)


@app.command()
def benchmark(
    samples: Annotated[int, typer.Option(min=8, max=4096, help="samples per measured render")] = 32,
    devices: Annotated[
        str | None, typer.Option(help="comma list of backends to measure (default: all present)")
    ] = None,
    threads: ThreadsOpt = None,
    config: ConfigOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Samples per minute per backend on the built-in reference scene. Stored in the worker's
    state (the config's, else the default state folder if there is one): `run` prices by it."""
    settings = load_settings(config)
    if threads is not None:
        settings = settings.model_copy(update={"threads": threads})
    backends = None if devices is None else [b.strip().upper() for b in devices.split(",")]
    # A config names the worker to store it for; without one, only a worker already there.
    store = config is not None or settings.state_dir.is_dir()
    try:
        with console.status("benchmarking") as status:
            report = run_benchmark(
                settings,
                samples=samples,
                backends=backends,
                on_backend=lambda b: status.update(f"benchmarking {b}"),
            )
        if store:
            settings.state_dir.mkdir(parents=True, exist_ok=True)
            store_benchmark(WorkerState(settings.database_path), report)
    except TilefarmError as exc:
        raise fail(exc) from exc
    if store:
        err.print(f"stored for pricing in {settings.database_path}", markup=False)
    if as_json:
        console.print_json(report.model_dump_json())
        return
    table = Table(title=f"reference scene {report.width}x{report.height}, {samples} samples")
    for column in ("backend", "devices", "seconds", "samples/min", "Mpixel-samples/min"):
        table.add_column(column, justify="right" if column != "devices" else "left")
    for r in report.results:
        table.add_row(
            r.backend,
            ", ".join(d.name for d in r.devices),
            f"{r.seconds:.2f}",
            f"{r.samples_per_minute:,.0f}",
            f"{r.pixel_samples_per_minute / 1e6:,.1f}",
        )
        for warning in r.warnings:
            warn(warning)
    console.print(table)


@app.command()
def render(
    scene: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the .blend file")],
    out: Annotated[Path, typer.Option("--out", help="output folder")],
    frame: Annotated[int, typer.Option(help="frame number")] = 1,
    grid: Annotated[str, typer.Option(help="tile grid, columns x rows")] = "2x2",
    samples: Annotated[int, typer.Option(min=1, help="samples per pixel")] = 16,
    seed: Annotated[int, typer.Option(min=0, help="Cycles seed")] = 0,
    tiles: Annotated[str | None, typer.Option(help="only these tiles, e.g. 0,2,5-7")] = None,
    resolution: Annotated[
        str | None, typer.Option(help="WxH (default: the scene's own resolution)")
    ] = None,
    denoise: Annotated[bool, typer.Option(help="also denoise the whole stitched frame")] = False,
    check_whole: Annotated[
        bool, typer.Option(help="also render the frame whole and compare pixel hashes")
    ] = False,
    devices: DevicesOpt = None,
    threads: ThreadsOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Render tiles of one frame through the sandboxed Blender child and stitch them."""
    settings = _settings(devices, threads)
    progress = Progress(
        TextColumn("[bold]rendering tiles"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=as_json,
        transient=True,
    )
    task = progress.add_task("tiles", total=None)

    def on_tile(region: RenderedRegion) -> None:
        progress.advance(task)

    try:
        with progress:
            report = render_scene(
                scene,
                frame=frame,
                grid=parse_grid(grid),
                samples=samples,
                seed=seed,
                out_dir=out,
                settings=settings,
                tiles=tiles,
                resolution=None if resolution is None else parse_size(resolution),
                denoise=denoise,
                check_whole=check_whole,
                on_opened=lambda n: progress.update(task, total=n),
                on_tile=on_tile,
            )
    except TilefarmError as exc:
        raise fail(exc) from exc
    if as_json:
        console.print_json(report.model_dump_json())
        return
    for warning in report.warnings:
        warn(warning)
    m = report.manifest
    table = Table(
        title=f"{scene.name} frame {frame}: {m.resolution.width}x{m.resolution.height}, "
        f"{m.tile_grid.columns}x{m.tile_grid.rows} tiles, {m.samples} samples, seed {m.seed}"
    )
    for column in ("tile", "x", "y", "w", "h", "seconds"):
        table.add_column(column, justify="right")
    # The full hash matters (operators compare it with others'): fold it, never truncate it.
    table.add_column("pixel hash", overflow="fold", min_width=32)
    for t in report.tiles:
        r = t.rect
        table.add_row(
            str(t.index),
            str(r.x),
            str(r.y),
            str(r.width),
            str(r.height),
            f"{t.seconds:.2f}",
            t.pixel_hash,
        )
    console.print(table)
    console.print(f"manifest CID  {report.manifest_cid}")
    console.print(
        f"frame hash    {report.frame_pixel_hash}" + ("" if report.complete else " (partial frame)")
    )
    console.print(f"stitched EXR  {report.frame_exr}", markup=False)
    console.print(f"stitched PNG  {report.frame_png}", markup=False)
    if report.whole_frame_match is not None:
        verdict = "[green]identical[/]" if report.whole_frame_match else "[red]DIFFERENT[/]"
        console.print(f"whole-frame render: {verdict} ({report.whole_frame_pixel_hash})")
    console.print(
        f"device {report.selection.backend}, sandbox {'on' if report.sandboxed else 'off'}, "
        f"{report.seconds:.1f} s, peak child memory {report.peak_rss_bytes / 2**20:.0f} MiB"
    )


if __name__ == "__main__":
    app()

"""What this machine renders on, how fast, and what it declares: the worker's `MachineProfile`.

At `render-worker run` start the worker asks a Blender child once which devices Cycles sees and
which Blender build it runs (`probe_machine`), selects the backend its `devices` setting names,
and prices by that backend's figure in the stored benchmark (`render-worker benchmark`, kept in
the worker's database). A stored benchmark measured with another Blender build or other devices,
or without a figure for that backend, is measured again (every backend present) and stored: a
new build or a new card renders at another speed. The config's `pixel_samples_per_minute`
overrides the figure.

The hardware it declares on chain (`declare_hardware`, through the worker's `TxSender` at the
daemon's first pass) and bids by is the selected backend and, for an NVIDIA one (CUDA, OPTIX),
the smallest memory of the selected GPUs as `nvidia-smi` reports it, unless the config's
`[hardware]` section says otherwise: an operator may declare less (a card shared with other
work), or, at its own risk, a backend the machine does not have.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from render_worker.chain import calls
from render_worker.chain.sender import TxSender, with_retries
from render_worker.errors import WorkerError
from render_worker.settings import DaemonSettings, WorkerSettings
from render_worker.state.store import WorkerState
from render_worker.work.benchmark import BenchmarkReport, run_benchmark
from render_worker.work.give_back import bidding_stopped
from tilefarm.adapters.blender.cpu_kernel import kernel_problem
from tilefarm.adapters.blender.devices import (
    Device,
    DeviceSelection,
    parse_device_spec,
    select_devices,
)
from tilefarm.adapters.blender.gpu_driver import NVIDIA_BACKENDS
from tilefarm.adapters.blender.gpu_memory import GpuMemory, GpuMemoryUnknown, nvidia_gpu_memory
from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.hardware import Hardware
from tilefarm.hardware_codes import BACKEND_CODES

log = logging.getLogger("render_worker")

BENCHMARK_KEY = "benchmark"  # the worker state's meta key of the stored `BenchmarkReport`
HARDWARE_KEY = "hardware"  # ... of the hardware `run` declared last
BENCHMARK_SAMPLES = 16  # measured at `run` start: enough to rank backends, quick on a CPU

SpeedSource = Literal["benchmark", "config"]
GpuMemoryProbe = Callable[[], list[GpuMemory] | None]


class Probe(BaseModel):
    """What the Blender child reports of this machine."""

    blender_version: str
    devices: list[Device]


class MachineProfile(BaseModel):
    """What the worker renders on and bids by."""

    model_config = ConfigDict(frozen=True)

    # What it declares on chain, and what a job's requirements are held against.
    hardware: Hardware
    # The backend its `devices` setting selects: the one it renders on and prices by.
    backend: str
    pixel_samples_per_minute: float = Field(gt=0)
    source: SpeedSource

    @classmethod
    def configured(cls, speed: float, hardware: Hardware | None = None) -> MachineProfile:
        """A profile priced by a given speed, on the CPU unless `hardware` says otherwise (no
        Blender probe: tests and benches that set the speed themselves)."""
        hardware = hardware or Hardware(backend="CPU")
        return cls(
            hardware=hardware,
            backend=hardware.backend,
            pixel_samples_per_minute=speed,
            source="config",
        )


def probe_machine(settings: WorkerSettings) -> Probe:
    """Start a Blender child once and ask it for its devices and its Blender build."""
    with BlenderChild(
        limits=settings.child_limits(), sandbox=settings.sandbox, scratch_root=settings.scratch_dir
    ) as child:
        devices = child.list_devices()
        return Probe(blender_version=child.blender_version or "", devices=devices)


def stale_reason(stored: BenchmarkReport | None, probe: Probe, backend: str) -> str:
    """Why `stored` cannot price `backend` on the machine `probe` describes ("" when it can)."""
    if stored is None:
        return "there is no stored benchmark"
    if stored.blender_version != probe.blender_version:
        return (
            f"the Blender build changed ({stored.blender_version or 'unknown'} -> "
            f"{probe.blender_version or 'unknown'})"
        )
    if set(stored.devices) != set(probe.devices):
        was = ", ".join(sorted(d.id for d in stored.devices)) or "none"
        now = ", ".join(sorted(d.id for d in probe.devices)) or "none"
        return f"the devices changed ({was} -> {now})"
    if stored.result_for(backend) is None:
        return f"the stored benchmark has no figure for {backend}"
    return ""


def merged(stored: BenchmarkReport | None, new: BenchmarkReport) -> BenchmarkReport:
    """`new`, plus the figures of backends it did not measure from `stored` when both were
    measured with the same Blender build and devices (`render-worker benchmark --devices cuda`
    keeps the CPU's figure)."""
    if (
        stored is None
        or stored.blender_version != new.blender_version
        or set(stored.devices) != set(new.devices)
    ):
        return new
    measured = {r.backend for r in new.results}
    kept = [r for r in stored.results if r.backend not in measured]
    return new.model_copy(update={"results": [*new.results, *kept]})


def stored_benchmark(state: WorkerState) -> BenchmarkReport | None:
    """The benchmark stored in the worker's database (None if none, or one it cannot read: an
    older worker's is measured again)."""
    value = state.get_meta(BENCHMARK_KEY)
    if value is None:
        return None
    try:
        return BenchmarkReport.model_validate(value)
    except ValidationError:
        log.info("the stored benchmark is of an older format; it will be measured again")
        return None


def store_benchmark(state: WorkerState, report: BenchmarkReport) -> BenchmarkReport:
    """Store `report` (merged with the stored one, see `merged`); returns what was stored."""
    report = merged(stored_benchmark(state), report)
    with state.session() as s:
        state.put_meta(s, BENCHMARK_KEY, report.model_dump(mode="json"))
    return report


def pricing_speed(
    configured: float | None,
    backend: str,
    probe: Probe,
    stored: BenchmarkReport | None,
    benchmark: Callable[[], BenchmarkReport],
) -> tuple[float, SpeedSource, BenchmarkReport | None]:
    """The pixel-samples a minute to price `backend` by, where it came from, and a new benchmark
    to store (None if none was run): the config's figure, else the stored one, else one measured
    now by `benchmark`."""
    if configured:
        return configured, "config", None
    reason = stale_reason(stored, probe, backend)
    report = stored
    if reason:
        log.info("benchmarking every backend of this machine: %s", reason)
        report = benchmark()
    assert report is not None
    result = report.result_for(backend)
    if result is None or result.pixel_samples_per_minute <= 0:
        measured = ", ".join(r.backend for r in report.results) or "nothing"
        failed = report.failed.get(backend)
        why = f": its GPU failed ({failed})" if failed else f" (it measured {measured})"
        raise WorkerError(
            f"the benchmark measured no speed for {backend}{why}; set "
            "pixel_samples_per_minute in the worker's config, or check `render-worker devices`"
        )
    return result.pixel_samples_per_minute, "benchmark", report if reason else None


def _same_gpu(cycles_name: str, smi_name: str) -> bool:
    return cycles_name.strip().casefold() == smi_name.strip().casefold()


def _vram_of(selected: list[Device], gpus: list[GpuMemory]) -> tuple[int, str]:
    """The smallest memory among `selected` by `gpus` (matched by name), or 0 and why not."""
    sizes = []
    for device in selected:
        found = [g.total_mib for g in gpus if _same_gpu(device.name, g.name)]
        if not found:
            listed = ", ".join(g.name for g in gpus) or "no GPU"
            return 0, f"nvidia-smi does not list {device.name!r} (it lists {listed})"
        sizes.append(min(found))
    return min(sizes), ""


def declared_hardware(
    selection: DeviceSelection,
    available: list[Device],
    override: Hardware | None,
    gpu_memory: GpuMemoryProbe,
) -> tuple[Hardware, list[str]]:
    """What to declare: `override` (the config's `[hardware]`) if given, else the selected
    backend with its GPU memory; and warnings for the operator."""
    present = {"CPU", *(d.type for d in available)}
    if override is not None:
        if override.backend not in present:
            return override, [
                f"THE CONFIG'S [hardware] DECLARES {override.backend}, WHICH THIS MACHINE DOES "
                f"NOT HAVE (Cycles sees: {', '.join(sorted(present))}): the worker will bid on "
                f"jobs that require it and render them on {selection.backend}; declared as told, "
                "at the operator's risk"
            ]
        if override.backend != selection.backend:
            return override, [
                f"the config's [hardware] declares {override.backend} but the devices setting "
                f"renders on {selection.backend}"
            ]
        return override, []
    backend = selection.backend
    hardware = Hardware.model_validate({"backend": backend})
    if not hardware.gpu:
        return hardware, []
    vram, why = 0, f"there is no tool this worker asks for a {backend} device's memory"
    if backend in NVIDIA_BACKENDS:
        try:
            gpus = gpu_memory()
        except GpuMemoryUnknown as exc:
            gpus, why = None, str(exc)
        else:
            why = "nvidia-smi is not on PATH"
        if gpus is not None:
            vram, why = _vram_of([d for d in selection.devices if d.type == backend], gpus)
    if vram:
        return hardware.model_copy(update={"vram_mib": vram}), []
    return hardware, [
        f"declaring {backend} with 0 MiB of GPU memory ({why}): jobs that require GPU memory "
        f'will not be bid on; set it in the worker\'s config: [hardware] backend = "{backend}", '
        "vram_mib = <MiB>"
    ]


def machine_profile(
    settings: DaemonSettings,
    probe: Probe,
    stored: BenchmarkReport | None,
    *,
    benchmark: Callable[[], BenchmarkReport],
    gpu_memory: GpuMemoryProbe,
) -> tuple[MachineProfile, BenchmarkReport | None]:
    """The profile of the machine `probe` describes, and a new benchmark to store if one was
    measured (see the module's docstring)."""
    selection = select_devices(probe.devices, parse_device_spec(settings.devices))
    for warning in selection.warnings:
        log.warning("devices: %s", warning)
    speed, source, new = pricing_speed(
        settings.pixel_samples_per_minute, selection.backend, probe, stored, benchmark
    )
    hardware, warnings = declared_hardware(selection, probe.devices, settings.hardware, gpu_memory)
    for warning in warnings:
        log.warning("hardware: %s", warning)
    profile = MachineProfile(
        hardware=hardware, backend=selection.backend, pixel_samples_per_minute=speed, source=source
    )
    return profile, new


def profile_at_start(settings: DaemonSettings, state: WorkerState) -> MachineProfile:
    """Probe the machine, benchmark it if the stored figures do not fit it (and store them), and
    return its profile."""
    probe = probe_machine(settings)
    problem = kernel_problem()
    profile, new = machine_profile(
        settings,
        probe,
        stored_benchmark(state),
        benchmark=lambda: run_benchmark(settings, samples=BENCHMARK_SAMPLES),
        gpu_memory=nvidia_gpu_memory,
    )
    if problem and profile.backend == "CPU":
        raise WorkerError(problem)
    if problem:  # the Blender children then never render on the CPU (`BlenderChild.open`)
        log.warning(
            "the CPU kernel: %s. A GPU failure is never rendered again on this CPU: the seat is "
            "given back, or the verification duty fails", problem,
        )  # fmt: skip
    if new is not None:
        store_benchmark(state, new)
    log.info(
        "rendering on %s (Blender %s) at %.3g pixel-samples a minute (%s); declaring %s",
        profile.backend, probe.blender_version, profile.pixel_samples_per_minute,
        "the config's figure" if profile.source == "config" else "benchmarked",
        describe(profile.hardware),
    )  # fmt: skip
    return profile


def describe(hardware: Hardware) -> str:
    """`CUDA with 8,192 MiB`, or `CPU`."""
    return f"{hardware.backend} with {hardware.vram_mib:,} MiB" if hardware.gpu else "CPU"


def declare_hardware(sender: TxSender, state: WorkerState, hardware: Hardware) -> bool:
    """Declare `hardware` on chain unless the chain's record already says it; True if it was
    sent. It goes through the worker's `sender` like every other transaction (stored before it
    is broadcast, a nonce after those `TxSender.recover` sent again), and raises what `send`
    raises."""
    record = sender.market.account(sender.account.address)
    code = BACKEND_CODES[hardware.backend]
    sent = (record.backend, record.vram_mib) != (code, hardware.vram_mib)
    if sent:
        block = with_retries("block number", lambda: sender.w3.eth.block_number)
        row = sender.send(calls.declare_hardware(block, hardware))
        log.info("declared %s on chain in tx %s", describe(hardware), row.tx_hash)
    else:
        log.info("the chain already records this worker's hardware as %s", describe(hardware))
    with state.session() as s:
        state.put_meta(s, HARDWARE_KEY, hardware.model_dump(mode="json"))
    return sent


def machine_report(settings: DaemonSettings, state: WorkerState) -> dict[str, Any]:
    """The `machine` part of `render-worker status`, from the database and the config (no
    Blender probe): the stored benchmark per backend, the backend and figure pricing uses, where
    the figure comes from, the hardware declared, and why the worker stopped bidding (None while
    it bids: `render_worker/work/give_back.py`)."""
    stored = stored_benchmark(state)
    backend = None
    if stored is not None:
        backend = select_devices(stored.devices, parse_device_spec(settings.devices)).backend
    figure: float | None = None
    source: SpeedSource | None = None
    if settings.pixel_samples_per_minute:
        figure, source = settings.pixel_samples_per_minute, "config"
    elif stored is not None and backend is not None:
        result = stored.result_for(backend)
        if result is not None:
            figure, source = result.pixel_samples_per_minute, "benchmark"
    stopped = bidding_stopped(state)
    declared = state.get_meta(HARDWARE_KEY)
    if declared is None and settings.hardware is not None:
        declared = settings.hardware.model_dump(mode="json")
    return {
        "benchmark": None
        if stored is None
        else {
            "blender_version": stored.blender_version,
            "devices": [d.model_dump() for d in stored.devices],
            "backends": {
                r.backend: {
                    "samples_per_minute": r.samples_per_minute,
                    "pixel_samples_per_minute": r.pixel_samples_per_minute,
                }
                for r in stored.results
            },
        },
        "backend": backend,
        "pixel_samples_per_minute": figure,
        "source": source,
        "hardware": declared,
        "bidding_stopped": None
        if stopped is None
        else {**stopped.model_dump(mode="json"), "cause": stopped.cause.name},
    }

"""Which Cycles devices to render on: pure selection logic, no bpy.

The Blender child enumerates what Cycles sees (`refresh_devices()` then `.devices`) and passes
the list here; the chosen backend and devices go back to the child to enable. Cycles renders on
one GPU backend at a time (optionally with the CPU alongside), so a selection is one backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from tilefarm.errors import TilefarmError
from tilefarm.hardware import GPU_BACKENDS

# What a `devices` setting may name by backend; `GPU_BACKENDS` (the protocol's) is best first.
BACKENDS: tuple[str, ...] = (*GPU_BACKENDS, "CPU")


class DeviceSpecError(TilefarmError, ValueError):
    """A device setting that names no backend or device Cycles knows."""


class Device(BaseModel):
    """One device as Cycles lists it."""

    model_config = ConfigDict(frozen=True)

    type: str
    name: str
    id: str


class DeviceSelection(BaseModel):
    """What to render on: a backend (`CPU` or one GPU backend), its devices, and every warning
    produced while choosing (e.g. a requested GPU that is missing, so the CPU is used)."""

    backend: str
    devices: list[Device]
    warnings: list[str] = []

    @property
    def uses_gpu(self) -> bool:
        """True when Cycles should render with `scene.cycles.device = 'GPU'`."""
        return self.backend != "CPU"


DeviceSpec = Literal["auto"] | list[str]


def parse_device_spec(text: str) -> DeviceSpec:
    """Parse the config's `devices` value: `auto`, or a comma list of backends (`cuda`, `cpu`)
    or device ids as Cycles prints them (`CUDA_NVIDIA GeForce RTX 4090_0000:01:00`)."""
    text = text.strip()
    if not text:
        raise DeviceSpecError(
            "devices setting is empty: use 'auto', 'cpu' or a list like 'cuda,cpu'"
        )
    if text.lower() == "auto":
        return "auto"
    items = [part.strip() for part in text.split(",") if part.strip()]
    return [item.upper() if item.upper() in BACKENDS else item for item in items]


def _cpu(available: Sequence[Device]) -> list[Device]:
    cpus = [d for d in available if d.type == "CPU"]
    return cpus[:1] or [Device(type="CPU", name="CPU", id="CPU")]


def select_devices(available: Sequence[Device], spec: DeviceSpec) -> DeviceSelection:
    """Choose the backend and devices for `spec` among `available`.

    `auto` takes every device of the best GPU backend present, else the CPU. An explicit list
    takes the named backends/ids; anything missing is reported in `warnings` and, if nothing
    usable remains, the CPU is chosen with a warning: never a silent fallback.
    """
    if spec == "auto":
        for best in GPU_BACKENDS:
            gpus = [d for d in available if d.type == best]
            if gpus:
                return DeviceSelection(backend=best, devices=gpus)
        return DeviceSelection(backend="CPU", devices=_cpu(available))

    warnings: list[str] = []
    wanted: list[Device] = []
    for item in spec:
        if item in BACKENDS:
            matches = [d for d in available if d.type == item]
        else:
            matches = [d for d in available if d.id == item]
        if not matches:
            warnings.append(
                f"device {item!r} is not available (Cycles sees: "
                f"{', '.join(d.id for d in available) or 'nothing'})"
            )
        wanted.extend(m for m in matches if m not in wanted)

    gpu_types = [t for t in dict.fromkeys(d.type for d in wanted) if t != "CPU"]
    if not gpu_types:
        if not any(d.type == "CPU" for d in wanted):
            warnings.append("no requested device is available: rendering on the CPU")
        return DeviceSelection(backend="CPU", devices=_cpu(available), warnings=warnings)
    backend = gpu_types[0]
    if len(gpu_types) > 1:
        warnings.append(
            f"Cycles renders with one GPU backend at a time: using {backend}, "
            f"ignoring {', '.join(gpu_types[1:])}"
        )
    chosen = [d for d in wanted if d.type in (backend, "CPU")]
    return DeviceSelection(backend=backend, devices=chosen, warnings=warnings)


def cpu_fallback(
    selection: DeviceSelection, reason: str, available: Sequence[Device] = ()
) -> DeviceSelection:
    """The CPU selection used when `selection`'s GPU failed, carrying the reason as a warning;
    the CPU as Cycles lists it among `available` (its name is what the render records)."""
    return DeviceSelection(
        backend="CPU",
        devices=_cpu(available),
        warnings=[
            *selection.warnings,
            f"{selection.backend} failed ({reason}): rendering on the CPU",
        ],
    )

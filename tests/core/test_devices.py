"""Device selection: auto picks the best GPU backend, explicit lists are honoured, and every
fallback to the CPU carries a warning."""

import pytest

from tilefarm import hardware
from tilefarm.adapters.blender import devices, gpu_driver
from tilefarm.adapters.blender.devices import (
    Device,
    DeviceSpecError,
    cpu_fallback,
    parse_device_spec,
    select_devices,
)

CPU = Device(type="CPU", name="AMD Ryzen 9", id="CPU")
CUDA0 = Device(type="CUDA", name="RTX 4090", id="CUDA_RTX 4090_0000:01:00")
CUDA1 = Device(type="CUDA", name="RTX 3060", id="CUDA_RTX 3060_0000:02:00")
OPTIX0 = Device(type="OPTIX", name="RTX 4090", id="OPTIX_RTX 4090_0000:01:00")
HIP0 = Device(type="HIP", name="RX 7900", id="HIP_RX 7900_0000:03:00")


def test_auto_on_a_cpu_only_machine_is_the_cpu_without_warning():
    selection = select_devices([CPU], "auto")
    assert selection.backend == "CPU" and selection.devices == [CPU]
    assert not selection.uses_gpu and selection.warnings == []


def test_auto_prefers_optix_over_cuda_over_hip():
    assert select_devices([CPU, HIP0, CUDA0, OPTIX0], "auto").backend == "OPTIX"
    assert select_devices([CPU, HIP0, CUDA0, CUDA1], "auto").devices == [CUDA0, CUDA1]
    assert select_devices([CPU, HIP0], "auto").backend == "HIP"


def test_auto_with_nothing_listed_still_renders_on_cpu():
    selection = select_devices([], "auto")
    assert selection.backend == "CPU" and selection.devices[0].type == "CPU"


def test_explicit_backend_and_cpu_render_together():
    selection = select_devices([CPU, CUDA0, CUDA1], ["CUDA", "CPU"])
    assert selection.backend == "CUDA"
    assert selection.devices == [CUDA0, CUDA1, CPU]


def test_explicit_device_id_picks_just_that_device():
    selection = select_devices([CPU, CUDA0, CUDA1], [CUDA1.id])
    assert selection.devices == [CUDA1] and selection.warnings == []


def test_missing_gpu_falls_back_to_cpu_with_a_warning():
    selection = select_devices([CPU], ["OPTIX"])
    assert selection.backend == "CPU"
    assert any("'OPTIX' is not available" in w for w in selection.warnings)
    assert any("rendering on the CPU" in w for w in selection.warnings)


def test_two_gpu_backends_keep_the_first_and_warn():
    selection = select_devices([CPU, CUDA0, HIP0], ["HIP", "CUDA"])
    assert selection.backend == "HIP" and selection.devices == [HIP0]
    assert any("one GPU backend at a time" in w for w in selection.warnings)


def test_a_failing_gpu_falls_back_to_cpu_loudly():
    selection = cpu_fallback(select_devices([CPU, CUDA0], "auto"), "CUDA error: out of memory")
    assert selection.backend == "CPU"
    assert "out of memory" in selection.warnings[-1]


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("auto", "auto"),
        (" AUTO ", "auto"),
        ("cpu", ["CPU"]),
        ("cuda, cpu", ["CUDA", "CPU"]),
        (CUDA0.id, [CUDA0.id]),
    ],
)
def test_device_spec_parsing(text: str, spec: object):
    assert parse_device_spec(text) == spec


def test_empty_device_spec_is_an_error():
    with pytest.raises(DeviceSpecError, match="empty"):
        parse_device_spec("  ")


def test_a_gpu_that_fails_falls_back_to_the_cpu_cycles_lists_with_the_reason():
    selection = cpu_fallback(select_devices([CPU, CUDA0], "auto"), "out of memory", [CPU, CUDA0])
    assert selection.backend == "CPU" and selection.devices == [CPU]  # its name is recorded
    assert selection.warnings == ["CUDA failed (out of memory): rendering on the CPU"]


def test_the_gpu_backends_and_their_order_are_the_protocols_own():
    assert (*hardware.GPU_BACKENDS, "CPU") == devices.BACKENDS
    everything = [Device(type=b, name=b, id=b) for b in reversed(devices.BACKENDS)]
    assert select_devices(everything, "auto").backend == hardware.GPU_BACKENDS[0]
    assert set(gpu_driver.NVIDIA_BACKENDS) <= set(hardware.GPU_BACKENDS)

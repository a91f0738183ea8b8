"""The systemd units in deploy/systemd pass `systemd-analyze verify` without a warning, keep the
worker's graceful stop and what bubblewrap needs, refuse system calls without killing the
program, create their users with systemd-sysusers, and their environment files name only
settings the programs have, and no provider's service.

These tests need Debian's `systemd` package (systemd-analyze, systemd-sysusers): without it they
fail, saying how to install it, rather than skip."""

import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pydantic_settings import BaseSettings

from marketplace.settings import MarketplaceSettings
from render_worker.settings import DaemonSettings

ROOT = Path(__file__).resolve().parents[2]
UNITS = ROOT / "deploy" / "systemd"
INSTALLED_BIN = "/opt/tilefarm/.venv/bin/"  # where the units expect the checkout's venv
VENV_BIN = Path(sys.executable).parent
INSTALL = "apt-get install systemd"


def systemd_tool(name: str) -> str:
    """The path of systemd's program `name`; the test fails, saying how to install it, when this
    machine has none."""
    tool = shutil.which(name)
    if tool is None:
        pytest.fail(
            f"{name} is not installed: the systemd unit tests need Debian's `systemd` package "
            f"(`{INSTALL}`)",
            pytrace=False,
        )
    return tool


def settings_of(unit: Path) -> dict[str, list[str]]:
    """Each key of `unit` with its values, in order (a key may repeat)."""
    found: dict[str, list[str]] = {}
    for line in unit.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def verify(unit: Path, tmp_path: Path) -> tuple[int, list[str]]:
    """`systemd-analyze verify` of a copy of `unit` whose programs are this checkout's (verify
    requires that ExecStart's program exists); its exit code and what it said about the unit."""
    tool = systemd_tool("systemd-analyze")
    copy = tmp_path / unit.name
    copy.write_text(unit.read_text().replace(INSTALLED_BIN, f"{VENV_BIN}/"))
    run = subprocess.run(
        [tool, "verify", "--man=no", str(copy)],
        capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )  # fmt: skip
    said = [line for line in (run.stdout + run.stderr).splitlines() if unit.stem in line]
    return run.returncode, said


@pytest.mark.parametrize("name", ["tilefarm-server.service", "tilefarm-worker.service"])
def test_each_unit_verifies_without_a_warning(name: str, tmp_path: Path) -> None:
    code, said = verify(UNITS / name, tmp_path)
    assert (code, said) == (0, [])


def test_a_unit_with_a_mistake_fails_the_check(tmp_path: Path) -> None:
    broken = tmp_path / "broken" / "tilefarm-worker.service"
    broken.parent.mkdir()
    text = (UNITS / "tilefarm-worker.service").read_text()
    broken.write_text(text.replace("KillMode=mixed", "KilMode=mixed"))

    _code, said = verify(broken, tmp_path)

    assert any("Unknown key 'KilMode'" in line for line in said), said


@pytest.mark.parametrize("program", ["tilefarm", "render-worker"])
def test_each_unit_runs_its_program_from_the_venv_with_json_logs(program: str) -> None:
    role = "server" if program == "tilefarm" else "worker"
    unit = settings_of(UNITS / f"tilefarm-{role}.service")
    (command,) = unit["ExecStart"]
    assert command.startswith(f"{INSTALLED_BIN}{program} ")
    assert command.endswith("--log-format json")
    assert unit["User"] == [f"tilefarm-{role}"]
    assert unit["StateDirectory"] == [f"tilefarm-{role}"]
    assert unit["EnvironmentFile"] == [f"/etc/tilefarm/{role}.env"]
    assert unit["Restart"] == ["on-failure"]
    for hardening in ("NoNewPrivileges", "PrivateTmp", "ProtectHome", "PrivateMounts"):
        assert unit[hardening] == ["yes"], hardening
    assert unit["ProtectSystem"] == ["strict"]


@pytest.mark.parametrize("role", ["server", "worker"])
def test_the_units_leave_bubblewrap_what_it_needs(role: str) -> None:
    """bubblewrap (the Blender child's sandbox) creates namespaces and mounts a /proc of its
    own: each of these settings would make it fail."""
    unit = settings_of(UNITS / f"tilefarm-{role}.service")
    for setting in ("RestrictNamespaces", "PrivateUsers", "ProtectKernelTunables",
                    "ProtectKernelLogs", "ProcSubset"):  # fmt: skip
        assert setting not in unit, setting
    assert "AF_NETLINK" in unit["RestrictAddressFamilies"][0].split()
    assert "@mount" not in " ".join(unit["SystemCallFilter"])
    assert unit["KillMode"] == ["mixed"]  # SIGTERM to the program, which stops its children


@pytest.mark.parametrize("role", ["server", "worker"])
def test_a_system_call_the_unit_denies_fails_instead_of_killing_the_program(role: str) -> None:
    unit = settings_of(UNITS / f"tilefarm-{role}.service")
    assert unit["SystemCallFilter"][0].startswith("~")  # a deny list
    # Without it, systemd kills the process with SIGSYS at the first denied call.
    assert unit["SystemCallErrorNumber"] == ["EPERM"]


def test_without_systemd_the_tests_fail_saying_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(pytest.fail.Exception, match=f"`{INSTALL}`"):
        systemd_tool("systemd-analyze")


def test_the_worker_keeps_its_gpus_and_time_to_finish_a_tile() -> None:
    unit = settings_of(UNITS / "tilefarm-worker.service")
    assert "PrivateDevices" not in unit and "ProtectClock" not in unit
    assert "DeviceAllow" not in unit and "DevicePolicy" not in unit
    assert unit["TimeoutStopSec"] == ["15min"]


def test_sysusers_creates_both_users_without_a_login(tmp_path: Path) -> None:
    tool = systemd_tool("systemd-sysusers")
    (tmp_path / "etc").mkdir()
    run = subprocess.run(
        [tool, f"--root={tmp_path}", str(UNITS / "tilefarm.sysusers.conf")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    users = {line.split(":")[0]: line.split(":") for line in (tmp_path / "etc/passwd").open()}
    for role in ("server", "worker"):
        entry = users[f"tilefarm-{role}"]
        assert entry[5] == f"/var/lib/tilefarm-{role}"
        assert entry[6].strip().endswith("nologin")


@pytest.mark.parametrize(
    ("env_file", "prefix", "settings"),
    [("server.env", "TILEFARM_SERVER_", MarketplaceSettings),
     ("worker.env", "RENDER_WORKER_", DaemonSettings)],
)  # fmt: skip
def test_the_environment_files_name_only_real_settings(
    env_file: str, prefix: str, settings: type[BaseSettings]
) -> None:
    lines = (UNITS / env_file).read_text().splitlines()
    names = [line.lstrip("# ").partition("=")[0] for line in lines if "=" in line]
    assert names
    for name in names:
        assert name.startswith(prefix), name
        assert name.removeprefix(prefix).lower() in settings.model_fields, name


def test_the_server_environment_names_no_provider_only_a_placeholder() -> None:
    lines = (UNITS / "server.env").read_text().splitlines()
    urls = [line.partition("=")[2] for line in lines if line.partition("=")[0].endswith("_URL")]
    assert urls
    for url in urls:
        host = urlsplit(url).hostname or ""
        assert host == "127.0.0.1" or host.endswith(".invalid"), url

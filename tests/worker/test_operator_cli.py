"""The node operator's commands: `init` writes an encrypted key and a config, `stake` bonds,
`status --json` reports from the worker's own database, `withdraw` pays out, metrics are served."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from render_worker.keystore import keystore_address, load_keystore
from render_worker.metrics import WorkerMetrics
from render_worker.settings import DaemonSettings
from tests.worker.conftest import PASSWORD, Stack, dev_account
from tilefarm.adapters.keystore import KeystoreError
from tilefarm_cli.devnet.ports import free_port

CLI = str(Path(sys.executable).parent / "render-worker")


def _cli(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "RENDER_WORKER_PASSWORD": PASSWORD}
    return subprocess.run(
        [CLI, *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True
    )


def test_init_writes_an_encrypted_key_and_a_config_the_worker_reads(tmp_path: Path) -> None:
    result = _cli("init", "--config", "w.toml", "--state-dir", "state", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    key = tmp_path / "state" / "key.json"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    assert "ciphertext" in json.loads(key.read_text())["crypto"]
    address = keystore_address(key)
    assert address.lower() in result.stdout.lower()
    assert load_keystore(key, PASSWORD).address.lower() == address.lower()
    with pytest.raises(KeystoreError, match="wrong password"):
        load_keystore(key, "not it")
    settings = DaemonSettings.load(tmp_path / "w.toml")
    assert settings.state_dir == (tmp_path / "state").resolve()
    assert settings.pricing.min_margin == 0.2
    again = _cli("init", "--config", "w.toml", cwd=tmp_path)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_init_imports_an_existing_key(tmp_path: Path) -> None:
    account = dev_account(8)
    result = _cli("init", "--import-key", "--config", "w.toml", "--state-dir", "s", cwd=tmp_path,
                  stdin=account.key.hex() + "\n")  # fmt: skip
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / "s" / "key.json"
    assert keystore_address(key_file).lower() == account.address.lower()
    assert account.key.hex().removeprefix("0x") not in key_file.read_text()  # stored encrypted
    # Piped in, not typed: no warning that the terminal's echo cannot be turned off.
    assert "echo" not in result.stderr.lower(), result.stderr


@pytest.mark.blender
def test_benchmark_stores_each_backends_speed_and_status_shows_the_figure_pricing_uses(
    tmp_path: Path,
) -> None:
    assert _cli("init", "--config", "w.toml", "--state-dir", "s", cwd=tmp_path).returncode == 0
    assert "# [hardware]" in (tmp_path / "w.toml").read_text()  # an example, commented out

    bench = _cli("benchmark", "--samples", "8", "--json", "--config", "w.toml", cwd=tmp_path)

    assert bench.returncode == 0, bench.stderr
    report = json.loads(bench.stdout)
    (cpu,) = report["results"]  # one entry per backend: this machine has the CPU only
    assert cpu["backend"] == "CPU" and cpu["samples_per_minute"] > 0
    assert cpu["pixel_samples_per_minute"] == cpu["samples_per_minute"] * 256 * 256
    assert report["blender_version"] and [d["type"] for d in report["devices"]] == ["CPU"]
    status = _cli("status", "--json", "--config", "w.toml", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    machine = json.loads(status.stdout)["machine"]
    assert (machine["backend"], machine["source"]) == ("CPU", "benchmark")
    assert machine["pixel_samples_per_minute"] == cpu["pixel_samples_per_minute"]
    stored = machine["benchmark"]["backends"]["CPU"]
    assert stored["samples_per_minute"] == cpu["samples_per_minute"]
    table = _cli("status", "--config", "w.toml", cwd=tmp_path)
    assert "machine: prices CPU at" in table.stdout and "(benchmark, Blender" in table.stdout

    # The config's figure overrides the benchmark's, and status says so.
    config = tmp_path / "w.toml"
    config.write_text("pixel_samples_per_minute = 5000000.0\n" + config.read_text())
    status = _cli("status", "--json", "--config", "w.toml", cwd=tmp_path)
    machine = json.loads(status.stdout)["machine"]
    assert (machine["pixel_samples_per_minute"], machine["source"]) == (5e6, "config")


def test_an_import_with_no_key_piped_in_says_so_and_writes_nothing(tmp_path: Path) -> None:
    result = _cli("init", "--import-key", "--config", "w.toml", "--state-dir", "s", cwd=tmp_path)
    assert result.returncode == 1 and "no private key (hex) on standard input" in result.stderr
    assert not (tmp_path / "s" / "key.json").exists() and not (tmp_path / "w.toml").exists()


def test_a_bad_config_is_named_in_the_error(tmp_path: Path) -> None:
    (tmp_path / "w.toml").write_text("rpc_url = [unterminated\n")
    result = _cli("status", "--config", "w.toml", cwd=tmp_path)
    assert result.returncode == 1 and "is not valid TOML" in result.stderr


def test_an_error_names_a_long_path_whole_on_one_line_brackets_and_all(tmp_path: Path) -> None:
    folder = tmp_path / ("a-folder-with-a-rather-long-name-" * 3) / "[bold]operator"
    folder.mkdir(parents=True)
    config = folder / "worker [red].toml"
    config.write_text("rpc_url = [unterminated\n")
    result = _cli("status", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 1
    assert str(config) in result.stderr, result.stderr


@pytest.mark.stack
def test_stake_status_and_withdraw_against_the_chain(own_stack: Stack, tmp_path: Path) -> None:
    account = dev_account(9)
    init = _cli(
        "init", "--import-key", "--config", "w.toml", "--state-dir", "s",
        "--rpc-url", str(own_stack.status.rpc_url),
        "--ipfs-api-url", str(own_stack.status.ipfs_api_url),
        "--deployments", str(own_stack.deployments_file),
        cwd=tmp_path, stdin=account.key.hex() + "\n",
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    staked = _cli("stake", "1.5", "--config", "w.toml", cwd=tmp_path)
    assert staked.returncode == 0, staked.stderr
    assert own_stack.market.account(account.address).stake >= 15 * 10**17

    status = _cli("status", "--json", "--config", "w.toml", cwd=tmp_path)
    report = json.loads(status.stdout)
    assert report["address"].lower() == account.address.lower()
    assert report["stake_wei"] >= 15 * 10**17
    assert report["jobs"] == [] and report["balance_wei"] == 0

    nothing = _cli("withdraw", "--config", "w.toml", cwd=tmp_path)
    assert nothing.returncode == 0 and "nothing to withdraw" in nothing.stdout


def test_metrics_are_served_in_prometheus_format() -> None:
    metrics = WorkerMetrics()
    metrics.tile_rendered(1.5)
    metrics.bids.labels("won").inc()
    metrics.earned.inc(1234)
    port = free_port()
    metrics.serve(port)
    body = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    assert "tilefarm_worker_tiles_rendered_total 1.0" in body
    assert 'tilefarm_worker_bids_total{outcome="won"} 1.0' in body
    assert "tilefarm_worker_earned_wei_total 1234.0" in body
    assert "tilefarm_worker_tile_render_seconds_count 1.0" in body


@pytest.mark.stack
@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda d: d.update(chain_id=d["chain_id"] + 1), "is for chain"),
        (lambda d: d["contracts"]["JobMarket"].update(address="0x" + "ab" * 20), "no contract"),
    ],
    ids=["another chain", "no contract at the address"],
)
def test_a_deployments_file_for_another_chain_is_refused_before_any_stake_is_sent(
    own_stack: Stack, tmp_path: Path, tamper: Any, reason: str
) -> None:
    account = dev_account(7)
    deployments = json.loads(own_stack.deployments_file.read_text())
    tamper(deployments)
    wrong = tmp_path / "deployments.json"
    wrong.write_text(json.dumps(deployments))
    init = _cli(
        "init", "--import-key", "--config", "w.toml", "--state-dir", "s",
        "--rpc-url", str(own_stack.status.rpc_url),
        "--ipfs-api-url", str(own_stack.status.ipfs_api_url),
        "--deployments", str(wrong),
        cwd=tmp_path, stdin=account.key.hex() + "\n",
    )  # fmt: skip
    assert init.returncode == 0, init.stderr
    w3 = own_stack.market.w3
    nonce = w3.eth.get_transaction_count(account.address)

    staked = _cli("stake", "0.1", "--config", "w.toml", cwd=tmp_path)

    assert staked.returncode == 1 and reason in staked.stderr, staked.stderr
    assert "Traceback" not in staked.stderr
    assert w3.eth.get_transaction_count(account.address) == nonce  # nothing was sent

"""Fault drills on the real stack: each module gets a devnet of its own (`own_stack`, from the
worker tests), blocks mined every half second (`block_producer`), workers in this process
(`running_worker`) or as `render-worker run` processes that a drill can kill (`worker_process`)."""

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from render_worker.keystore import create_keystore
from tests.worker.conftest import (  # noqa: F401  (fixtures, found by pytest through this module)
    PASSWORD,
    Stack,
    block_producer,
    dev_account,
    own_stack,
)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextmanager
def worker_process(
    stack: Stack,
    tmp: Path,
    index: int,
    pricing: Mapping[str, object] | None = None,
    speed: float = 1_000_000.0,
) -> Iterator[subprocess.Popen[bytes]]:
    """`render-worker run` for dev account `index`, in a process group of its own (so a drill can
    SIGKILL it with its Blender child); its log is `tmp/worker<index>.log`. Stopped at the end
    if still alive."""
    assert stack.status.rpc_url and stack.status.ipfs_api_url
    state_dir = tmp / f"worker{index}"
    # `speed`: the pixel-samples a minute it prices by (and so which jobs it thinks it can do).
    if not (state_dir / "key.json").exists():
        create_keystore(state_dir / "key.json", PASSWORD, dev_account(index).key.hex())
    settings = {
        "state_dir": str(state_dir),
        "rpc_url": stack.status.rpc_url,
        "ipfs_api_url": stack.status.ipfs_api_url,
        "deployments_file": str(stack.deployments_file),
        "confirmations": 0,
        "poll_seconds": 0.2,
        "pixel_samples_per_minute": speed,
        "threads": 1,
        "receipt_timeout_s": 30.0,
    }
    body = "".join(f"{key} = {_toml(value)}\n" for key, value in settings.items())
    if pricing:
        body += "[pricing]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in pricing.items())
    config = tmp / f"worker{index}.toml"
    config.write_text(body)
    cli = Path(sys.executable).parent / "render-worker"
    env = {**os.environ, "RENDER_WORKER_PASSWORD": PASSWORD}
    with (tmp / f"worker{index}.log").open("ab") as out:
        process = subprocess.Popen(
            [str(cli), "run", "--config", str(config)],
            stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )  # fmt: skip
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=60)

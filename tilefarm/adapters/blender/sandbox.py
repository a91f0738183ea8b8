"""Cutting the Blender child off from the network, and refusing what is not a .blend before a
child ever sees it.

The child runs in a fresh network namespace (`unshare --net`), which has only a loopback
interface that is down, so no connection can be made, not even to localhost. That needs root or
unprivileged user namespaces; `Sandbox.AUTO` uses it when it works and otherwise records a
warning, `Sandbox.NETNS` refuses to start without it.
"""

import functools
import shutil
import subprocess
from enum import StrEnum
from pathlib import Path

from tilefarm.adapters.blender.errors import BlendFileError

# Magic bytes of a .blend: plain, zstd-compressed (Blender >= 3.0) or gzip-compressed (older).
_BLEND_MAGICS = (b"BLENDER", b"\x28\xb5\x2f\xfd", b"\x1f\x8b")


class Sandbox(StrEnum):
    """How the child is cut off from the network."""

    AUTO = "auto"
    NETNS = "netns"
    NONE = "none"


@functools.cache
def netns_prefix() -> tuple[list[str], str]:
    """The command prefix that puts a process in an empty network namespace, and a diagnostic.

    Returns `([], reason)` when this machine cannot do it.
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        return [], "the `unshare` program (util-linux) is not installed"
    try:
        probe = subprocess.run(
            [unshare, "--net", "true"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return [], f"`unshare --net` could not run: {exc}"
    if probe.returncode != 0:
        return [], (
            f"`unshare --net` failed ({probe.stderr.strip() or probe.returncode}): run as root "
            "or enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)"
        )
    return [unshare, "--net", "--"], "network namespace (unshare --net)"


def check_blend_header(path: Path) -> None:
    """Reject a file that is not a .blend before any child starts (magic bytes only)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise BlendFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not head:
        raise BlendFileError(f"{path} is empty: upload a .blend saved by Blender")
    if not head.startswith(_BLEND_MAGICS):
        raise BlendFileError(
            f"{path} is not a Blender file (it starts with {head[:8]!r}, a .blend starts with "
            "'BLENDER' or is zstd/gzip-compressed): upload a .blend saved by Blender"
        )

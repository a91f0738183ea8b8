"""Shutting the Blender child in, and refusing what is not a .blend before a child ever sees it.

Two tools do the shutting in. Bubblewrap (`bwrap`, Debian's `bubblewrap`) gives the child its own
namespaces (network, processes, IPC, hostname): no network at all, not even loopback, no view of
the parent's processes, and it dies with its parent. Without bubblewrap, `unshare --net` still
cuts the network. For a child of the caller's own files `Sandbox.AUTO` takes the best that works
here and records a warning for what it could not do; for a confined child (below) it means
bubblewrap or no child at all. `Sandbox.BWRAP` and `Sandbox.NETNS` refuse to start without
theirs; only `NETNS` or `NONE`, set on purpose, let a confined child run with less.

What the child sees of the files depends on who runs it. A child for the caller's own files (an
artist packing a scene, a local render, the tests) sees the file system as its parent does. A
child that reads strangers' files (the worker's jobs, the server's uploads) gets a `Confinement`:
the system read-only, one folder of its scratch folder (`work`) as the only place it may write,
temporary folders, home folders and the caller's secret places (keystore, state folder) replaced
by empty, read-only ones, and, started by root, an unprivileged user. Its files go in and out
through the scratch folder (`process.ChildProcess` copies the inputs into a read-only folder
beside `work` and moves the outputs out of an outbox in `work`, by file descriptor).
"""

from __future__ import annotations

import functools
import os
import pwd
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from tilefarm.adapters.blender.errors import BlendFileError, SandboxUnavailable
from tilefarm.adapters.paths import DEFAULT_STATE_DIR, PROJECT_ROOT

# Magic bytes of a .blend: plain, zstd-compressed (Blender >= 3.0) or gzip-compressed (older).
_BLEND_MAGICS = (b"BLENDER", b"\x28\xb5\x2f\xfd", b"\x1f\x8b")

# Where a confined child sees empty folders: temporary files (other programs' and other
# children's), sockets of local services (/run), and everyone's home.
MASKED = (Path("/tmp"), Path("/var/tmp"), Path("/run"), Path("/home"), Path("/root"))
# Device nodes a GPU render needs inside bubblewrap's minimal /dev (NVIDIA, AMD, Intel).
_GPU_DEVICES = ("nvidia*", "dri", "kfd")


class Sandbox(StrEnum):
    """How the child is shut in: `auto` (a confined child: bubblewrap or refuse to start; another
    child: bubblewrap when it works, else a network namespace, else nothing, each fallback with a
    warning), `bwrap` (bubblewrap or refuse to start), `netns` (a network namespace only, or
    refuse), `none` (nothing; for a confined child, with a loud warning)."""

    AUTO = "auto"
    BWRAP = "bwrap"
    NETNS = "netns"
    NONE = "none"


@dataclass(frozen=True)
class Confinement:
    """How far a child that reads strangers' files is shut in (see the module's docstring).

    `hidden`: folders or files besides the defaults that the child must not see (a worker's state
    folder and keystore, a server's state folder). `user`: the account it runs as when its parent
    is root (None: it stays root, which only a test should ask for).
    """

    hidden: tuple[Path, ...] = ()
    user: str | None = "nobody"

    def ids(self) -> tuple[int, int] | None:
        """The uid and gid to drop to: None unless the parent is root and a user is named."""
        if self.user is None or os.geteuid() != 0:
            return None
        try:
            entry = pwd.getpwnam(self.user)
        except KeyError:
            raise SandboxUnavailable(
                f"the Blender child should run as user {self.user!r}, which this machine does "
                "not have: create it, or name another unprivileged user"
            ) from None
        return entry.pw_uid, entry.pw_gid


@functools.cache
def _works(*cmd: str) -> str | None:
    """None when `cmd` runs and exits 0 here, else why not."""
    try:
        probe = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"`{cmd[0]}` could not run: {exc}"
    if probe.returncode != 0:
        return probe.stderr.strip() or f"exit code {probe.returncode}"
    return None


def bwrap_program() -> tuple[str | None, str]:
    """The bubblewrap program when it can make namespaces here, else None, and a diagnostic."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return None, "bubblewrap (`bwrap`) is not installed: apt-get install bubblewrap"
    failed = _works(bwrap, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true")
    if failed is not None:
        return None, (
            f"bubblewrap cannot make namespaces here ({failed}): run as root or enable "
            "unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)"
        )
    return bwrap, "bubblewrap"


@functools.cache
def netns_prefix() -> tuple[list[str], str]:
    """The command prefix that puts a process in an empty network namespace, and a diagnostic.

    Returns `([], reason)` when this machine cannot do it.
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        return [], "the `unshare` program (util-linux) is not installed"
    failed = _works(unshare, "--net", "true")
    if failed is not None:
        return [], (
            f"`unshare --net` failed ({failed}): run as root "
            "or enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1)"
        )
    return [unshare, "--net", "--"], "network namespace (unshare --net)"


def bwrap_prefix(
    bwrap: str, scratch: Path, work: Path, confinement: Confinement | None, drop: list[str]
) -> list[str]:
    """The bubblewrap command line (up to the child's own command) for a child whose scratch
    folder is `scratch` and whose own, writable folder in it is `work`; `drop` (`drop_prefix`,
    or nothing) runs inside it."""
    cmd = [bwrap]
    masks: list[Path] = []
    if confinement is None:
        # The caller's own files: everything as the parent sees it.
        cmd += ["--bind", "/", "/", "--dev", "/dev"]
        cmd += ["--bind", str(scratch), str(scratch)]
    else:
        cmd += ["--ro-bind", "/", "/", "--dev", "/dev"]
        masks += _mask(MASKED, cmd)
        # The child's own code comes back where a mask covered it (a project in a home folder).
        cmd += _ro_binds(_code_paths(), under=MASKED)
        masks += _mask((DEFAULT_STATE_DIR, *confinement.hidden), cmd)
        # The folders down to the scratch folder, where a mask made them, open to the child's
        # user (bubblewrap makes a mount point's missing parents closed to others).
        cmd += [arg for folder in reversed(scratch.parents[:-1]) for arg in ("--dir", str(folder))]
        # The scratch folder read-only (the inputs the parent put there), `work` writable.
        cmd += ["--ro-bind", str(scratch), str(scratch), "--bind", str(work), str(work)]
        # The masks read-only too, once everything under them is in place: an empty folder the
        # child could write would be RAM it fills and a place it leaves files.
        cmd += [arg for mask in masks for arg in ("--remount-ro", str(mask))]
    for node in gpu_device_nodes():
        cmd += ["--dev-bind", str(node), str(node)]
    cmd += ["--proc", "/proc", "--chdir", str(work)]
    if drop:
        # Root drops to the user inside, after bubblewrap has bound what that user could not
        # reach (an interpreter under /root): so no user namespace, in which only root exists.
        cmd += ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"]
        cmd += ["--unshare-cgroup-try"]
    else:
        cmd += ["--unshare-all"]
    # --die-with-parent: bubblewrap's parent is the thread that started it; the thread that
    # starts a child outlives it here (the worker's render thread, an inspection's pool thread).
    cmd += ["--die-with-parent", "--new-session", "--", *drop]
    return cmd


def drop_prefix(ids: tuple[int, int]) -> list[str]:
    """The command prefix that runs the rest as `ids` (uid, gid), in no other group than those
    that own this machine's GPU nodes (`render`, `video`: an AMD or Intel GPU needs them)."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise SandboxUnavailable(
            "cannot run the Blender child as an unprivileged user: `setpriv` (util-linux) is "
            "not installed"
        )
    uid, gid = ids
    nodes = [
        inner
        for node in gpu_device_nodes()
        for inner in (node.iterdir() if node.is_dir() else [node])
    ]
    groups = sorted({node.stat().st_gid for node in nodes} - {0})
    keep = f"--groups={','.join(map(str, groups))}" if groups else "--clear-groups"
    return [setpriv, f"--reuid={uid}", f"--regid={gid}", keep, "--"]


def _mask(paths: Iterable[Path], cmd: list[str]) -> list[Path]:
    """Add to `cmd` what hides each of `paths`: an empty tmpfs over a folder (returned, to be
    made read-only when everything under it is bound), the empty /dev/null over a file."""
    folders: list[Path] = []
    for path in paths:
        if path.is_dir():
            cmd += ["--tmpfs", str(path)]
            folders.append(path)
        elif path.exists():
            cmd += ["--ro-bind", os.devnull, str(path)]
    return folders


def _code_paths() -> list[Path]:
    """What the child needs to start: the interpreter, its environment and the project."""
    paths = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.executable).resolve().parent}
    paths.add(PROJECT_ROOT)
    return sorted(paths)


def _ro_binds(paths: Iterable[Path], *, under: Iterable[Path]) -> list[str]:
    masks = list(under)
    args: list[str] = []
    for path in paths:
        if any(path.is_relative_to(mask) for mask in masks) and path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args


def gpu_device_nodes() -> list[Path]:
    """This machine's GPU device nodes (NVIDIA, AMD, Intel), which a GPU render opens."""
    return [node for pattern in _GPU_DEVICES for node in sorted(Path("/dev").glob(pattern))]


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

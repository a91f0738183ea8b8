"""The parent side of the Blender child process: start it sandboxed, send it requests, read its
events, enforce its limits, stop it.

A confined child (`sandbox.Confinement`) sees only the system and its scratch folder, and may
write only in the scratch folder's `work` folder. Each input a request names is copied first into
the scratch folder's `in` folder, which is this process's and read-only to the child; each output
is written into an outbox this process made in `work` and is moved from there, by the name this
process gave it, to where the request wanted it once the child reports it. The child may move,
replace or link anything in `work` meanwhile: this process reaches the outbox only through the
descriptor it opened when it made it, and opens nothing in it that is not a plain file.

Every failure of the child (a bad file, a crash, a time or memory limit) comes back as a
`RenderEngineError`; the parent process itself never goes down with the child. What the requests
are is `tilefarm.adapters.blender.launcher.BlenderChild`'s business; the wire format is
`tilefarm.adapters.blender.protocol`.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import queue
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import psutil
from pydantic import BaseModel, ValidationError

from tilefarm.adapters.blender.errors import (
    BlendFileError,
    ChildCrashed,
    GpuRenderFailed,
    NoCameraError,
    RenderCancelled,
    RenderEngineError,
    RenderFailed,
    RenderMemoryExceeded,
    RenderTimeout,
    SandboxUnavailable,
)
from tilefarm.adapters.blender.protocol import (
    EVENT,
    FINAL_EVENTS,
    TEST_HOOKS,
    TRUST_SCRIPTS_FLAG,
    ErrorCode,
    Failed,
    PackCopy,
    Ready,
    Shutdown,
    Warning_,
)
from tilefarm.adapters.blender.sandbox import (
    Confinement,
    Sandbox,
    bwrap_prefix,
    bwrap_program,
    drop_prefix,
    gpu_device_nodes,
    netns_prefix,
)
from tilefarm.hardware_codes import AbandonCause

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.05

# What a CPU child's address space holds besides its data, measured with `VmPeak` on this
# project's built-in scenes (bpy 5.0.1, Cycles on the CPU): 1.3 GiB once bpy is imported,
# 1.7-1.8 GiB after a render on 1-2 threads, 2.1 GiB on 16 and 2.6 GiB on 64 threads (a thread
# stack each, 8 MiB). BASE leaves that twice over; PER_THREAD covers a stack and two of glibc's
# 64 MiB malloc arenas per thread (glibc makes up to 8 per core, reserved, not used).
ADDRESS_SPACE_BASE = 4 << 30
ADDRESS_SPACE_PER_THREAD = 128 << 20
# The largest file a confined child may write (`RLIMIT_FSIZE`) unless its limits say otherwise:
# a whole 16K x 16K frame as an uncompressed float RGBA EXR (4 GiB) twice over, so that one file
# cannot fill the disk.
CONFINED_FILE_BYTES = 8 << 30


def default_address_space(memory_bytes: int | None, threads: int = 0) -> int:
    """An address-space limit (`RLIMIT_AS`) that no real CPU render reaches: the resident limit
    (or, without one, this machine's memory) plus `ADDRESS_SPACE_BASE` plus
    `ADDRESS_SPACE_PER_THREAD` per render thread (0: one per core)."""
    data = memory_bytes if memory_bytes is not None else psutil.virtual_memory().total
    threads = threads or os.cpu_count() or 1
    return data + ADDRESS_SPACE_BASE + threads * ADDRESS_SPACE_PER_THREAD


def gpu_present() -> bool:
    """Whether this machine has a GPU device node a render could open (NVIDIA, AMD, Intel).
    CUDA and HIP reserve address space the size of the host's and the devices' memory together,
    so an address-space limit is only for children that render on the CPU."""
    return bool(gpu_device_nodes())


@dataclass(frozen=True)
class ChildLimits:
    """Limits on the child. `wall_seconds` applies to each request; `memory_bytes` to the child's
    resident memory, sampled every 50 ms; `address_space_bytes` is the kernel's limit on its
    virtual memory (`RLIMIT_AS`), a backstop for what sampling misses (an allocation larger than
    the machine, a burst between two samples); `None` means unlimited."""

    wall_seconds: float | None = None
    memory_bytes: int | None = None
    start_seconds: float = 60.0
    address_space_bytes: int | None = None
    # The largest file the child may write (`RLIMIT_FSIZE`); None: `CONFINED_FILE_BYTES` for a
    # confined child, unlimited for another.
    file_bytes: int | None = None


class ChildProcess:
    """A long-lived, sandboxed Blender child process, and the requests and events between it and
    this process.

    Use it as a context manager; `close()` stops the child and removes its scratch folder.
    `cancel()` may be called from any thread and stops the child at once.
    """

    def __init__(
        self,
        *,
        limits: ChildLimits | None = None,
        sandbox: Sandbox = Sandbox.AUTO,
        scratch_root: Path | None = None,
        extra_env: dict[str, str] | None = None,
        python: str | None = None,
        on_warning: Callable[[str], None] | None = None,
        confinement: Confinement | None = None,
        trust_scripts: bool = False,
    ) -> None:
        self.limits = limits or ChildLimits()
        # Test-only (`protocol.TRUST_SCRIPTS_FLAG`): the child runs the scripts of what it opens.
        self.trust_scripts = trust_scripts
        self.sandbox = sandbox
        # Set (here or before `start()`) for a child that reads strangers' files.
        self.confinement = confinement
        self.scratch_root = scratch_root
        self.extra_env = dict(extra_env or {})
        self.python = python or sys.executable
        self.on_warning = on_warning
        self.warnings: list[str] = []
        self.peak_rss_bytes = 0
        self.isolated = False
        self.isolation = "none"
        self._ids_dropped_to: tuple[int, int] | None = None
        self._watched: list[psutil.Process] = []
        self._staged_inputs: dict[tuple[str, int, int], Path] = {}
        # The child's own folder in the scratch folder, and this process's descriptor of it.
        self.work: Path | None = None
        self._work_fd: int | None = None
        self.blender_version: str | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._events: queue.Queue[str | None] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=60)
        self._ids = itertools.count(1)
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._stderr_reader: threading.Thread | None = None
        self.scratch: Path | None = None

    # ---- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def running(self) -> bool:
        """True while the child process is alive."""
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        """The child's process id while it runs."""
        return self._proc.pid if self.running and self._proc else None

    def _warn(self, message: str) -> None:
        self.warnings.append(message)
        log.warning("blender child: %s", message)
        if self.on_warning:
            self.on_warning(message)

    def start(self) -> None:
        """Start the child (if not running) and wait until bpy is imported."""
        if self.running:
            return
        self._cleanup()
        self._cancelled.clear()
        self._forget_scene()
        self._staged_inputs.clear()
        ids = self.confinement.ids() if self.confinement is not None else None
        # This process's (a child of another user passes through it), with the child's `work`.
        self.scratch = Path(tempfile.mkdtemp(prefix="tilefarm-blender-", dir=self.scratch_root))
        self.scratch.chmod(0o711)
        self.work = self.scratch / "work"
        try:
            self.work.mkdir(mode=0o700)
            self._work_fd = os.open(self.work, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
            prefix, self._ids_dropped_to = self._sandbox_prefix(self.scratch, self.work, ids)
            if self._ids_dropped_to is not None:
                os.fchown(self._work_fd, *self._ids_dropped_to)
        except BaseException:
            self._cleanup()
            raise
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.work),
            "TMPDIR": str(self.work),
            "LANG": "C.UTF-8",
            "PYTHONNOUSERSITE": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONUNBUFFERED": "1",
        }
        # Only the import path travels: the child needs our package, nothing else of our env.
        if "PYTHONPATH" in os.environ:
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        # And the tests' GPU failure hooks (`protocol.TEST_HOOKS`), set by a test only.
        env.update({name: os.environ[name] for name in TEST_HOOKS if name in os.environ})
        # What the caller passes on purpose, e.g. CYCLES_CPU_NO_AVX2=1 to pick a CPU kernel.
        env.update(self.extra_env)
        cmd = [*prefix, self.python, "-m", "tilefarm.adapters.blender.child"]
        if self.limits.address_space_bytes is not None:
            cmd += ["--address-space", str(self.limits.address_space_bytes)]
        file_bytes = self.limits.file_bytes
        if file_bytes is None and self.confinement is not None:
            file_bytes = CONFINED_FILE_BYTES
        if file_bytes is not None:
            cmd += ["--file-size", str(file_bytes)]
        if self.trust_scripts:
            cmd.append(TRUST_SCRIPTS_FLAG)
        self._events = queue.Queue()
        self._stderr.clear()
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
            cwd=self.work,
            env=env,
            # No preexec_fn: it is unsafe in threaded parents (the marketplace, the daemon);
            # the child sets its own rlimits and watches for its parent's death itself.
            start_new_session=True,
        )
        proc = self._proc
        threading.Thread(target=self._read_stdout, args=(proc,), daemon=True).start()
        self._stderr_reader = threading.Thread(target=self._read_stderr, args=(proc,), daemon=True)
        self._stderr_reader.start()
        try:
            ready = self._wait(None, self.limits.start_seconds)
            if not isinstance(ready, Ready):
                raise ChildCrashed(f"the Blender child did not start properly: got {ready!r}")
            self._watch(proc)
        except BaseException:
            # `with BlenderChild()` never reaches __exit__ when starting fails: clean up here.
            self._kill()
            self._cleanup()
            raise
        self.blender_version = ready.blender_version

    def _sandbox_prefix(
        self, scratch: Path, work: Path, ids: tuple[int, int] | None
    ) -> tuple[list[str], tuple[int, int] | None]:
        """The command prefix that shuts the child in as `self.sandbox` asks (module docstring of
        `sandbox`) and runs it as `ids` where it can, and the ids it runs as (None: this
        process's); sets `isolated` and `isolation`, warns of each fallback."""
        self.isolated, self.isolation = False, "none"
        confined = self.confinement is not None
        if self.sandbox == Sandbox.NONE:
            if confined:
                self._warn(
                    "NO SANDBOX: the Blender child that reads strangers' files runs as a plain "
                    "process of this user, with this machine's network and files (sandbox = "
                    "none); set the sandbox to `auto` unless this machine is itself a sandbox"
                )
            return [], None
        drop = drop_prefix(ids) if ids is not None else []
        if self.sandbox in (Sandbox.AUTO, Sandbox.BWRAP):
            bwrap, reason = bwrap_program()
            if bwrap is not None:
                self.isolated, self.isolation = True, reason
                return bwrap_prefix(bwrap, scratch, work, self.confinement, drop), ids
            if self.sandbox == Sandbox.BWRAP:
                raise SandboxUnavailable(f"cannot shut the Blender child in: {reason}")
            if confined:
                # Fail closed: a stranger's file is not opened with less than asked for unless
                # the operator said so.
                raise SandboxUnavailable(
                    f"cannot shut in the Blender child that reads strangers' files: {reason}. "
                    "It needs bubblewrap (apt-get install bubblewrap) and unprivileged user "
                    "namespaces or root; to run it with its network cut only, set the sandbox "
                    "to `netns` on purpose"
                )
            self._warn(f"the Blender child runs without bubblewrap ({reason})")
        if ids is not None and (closed := _closed_to(ids, Path(self.python))) is not None:
            self._warn(
                f"the Blender child runs as this process's user, not an unprivileged one: "
                f"{closed} is closed to others, so they cannot reach {self.python} (bubblewrap "
                "would show it to them)"
            )
            drop, ids = [], None
        prefix, reason = netns_prefix()
        if prefix:
            self.isolated, self.isolation = True, reason
            # unshare first: making a network namespace needs the privileges setpriv drops.
            return [*prefix, *drop], ids
        if self.sandbox == Sandbox.NETNS:
            raise SandboxUnavailable(f"cannot isolate the Blender child from the network: {reason}")
        self._warn(f"the Blender child will have network access: {reason}")
        return drop, ids

    def _watch(self, proc: subprocess.Popen[str]) -> None:
        """The processes whose memory counts: the one started and, under bubblewrap, the
        sandbox's own processes and the child inside them."""
        try:
            top = psutil.Process(proc.pid)
            self._watched = [top, *top.children(recursive=True)]
        except psutil.Error:
            self._watched = []

    def _read_stdout(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        # A pipe closed under the loop (the child is being stopped) ends it like the child's end.
        with contextlib.suppress(ValueError, OSError):
            for line in proc.stdout:
                self._events.put(line)
        self._events.put(None)

    def _read_stderr(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stderr is not None
        with contextlib.suppress(ValueError, OSError):
            for line in proc.stderr:
                self._stderr.append(line.rstrip())

    def stderr_tail(self, lines: int = 15) -> str:
        """The last lines Blender printed (for diagnostics)."""
        return "\n".join(list(self._stderr)[-lines:])

    def _kill(self) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        # The child leads its own session; kill that group (Blender spawns no helpers, but a
        # crash handler could) and reap it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)

    def _cleanup(self) -> None:
        self._watched = []
        if self._work_fd is not None:
            os.close(self._work_fd)
            self._work_fd = None
        if self.scratch is not None:
            # rmtree never follows a link the child left (it works by descriptor here).
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = self.work = None

    def cancel(self) -> None:
        """Stop the child now (from any thread); the pending request raises RenderCancelled."""
        self._cancelled.set()
        self._kill()

    def close(self) -> None:
        """Ask the child to exit, kill it if it does not, and remove its scratch folder."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                with self._lock:
                    self._send(Shutdown(id=next(self._ids)))
                proc.wait(timeout=10)
            except (RenderEngineError, OSError, subprocess.TimeoutExpired):
                pass
            self._kill()
        for stream in (proc.stdin, proc.stdout, proc.stderr) if proc else ():
            with contextlib.suppress(OSError):
                stream.close()  # type: ignore[union-attr]
        self._proc = None
        self._forget_scene()
        self._cleanup()

    def _forget_scene(self) -> None:
        """The process starts or stops: nothing it had open is open any more."""

    # ---- protocol ----------------------------------------------------------------------------

    def _send(self, request: BaseModel) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None or proc.stdin is None:
            raise ChildCrashed("the Blender child is not running: start it again")
        try:
            proc.stdin.write(request.model_dump_json() + "\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise ChildCrashed(f"the Blender child stopped reading requests: {exc}") from None

    def _sample_memory(self) -> int:
        proc = self._proc
        if proc is None:
            return 0
        watched = self._watched or [psutil.Process(proc.pid)]
        rss = 0
        for process in watched:
            with contextlib.suppress(psutil.Error):
                rss += int(process.memory_info().rss)
        self.peak_rss_bytes = max(self.peak_rss_bytes, rss)
        return rss

    def _wait(
        self,
        request_id: int | None,
        wall_seconds: float | None,
        on_event: Callable[[Any], None] | None = None,
    ) -> Any:
        """Collect events for one request until its final event, enforcing the limits."""
        deadline = None if wall_seconds is None else time.monotonic() + wall_seconds
        limit = self.limits.memory_bytes
        while True:
            if self._cancelled.is_set():
                self._kill()
                raise RenderCancelled("the render was cancelled; the Blender child was stopped")
            rss = self._sample_memory()
            if limit is not None and rss > limit:
                self._kill()
                raise RenderMemoryExceeded(
                    f"the Blender child used {rss / 2**20:.0f} MiB, over its limit of "
                    f"{limit / 2**20:.0f} MiB, and was stopped: the scene needs more memory than "
                    "this worker allows (raise the memory limit or skip this job)"
                )
            if deadline is not None and time.monotonic() > deadline:
                self._kill()
                raise RenderTimeout(
                    f"the Blender child took longer than {wall_seconds:g} s and was stopped: "
                    "use fewer samples or smaller tiles, or raise the time limit"
                )
            try:
                line = self._events.get(timeout=_POLL_SECONDS)
            except queue.Empty:
                continue
            if line is None:
                if self._cancelled.is_set():
                    raise RenderCancelled("the render was cancelled; the Blender child was stopped")
                code = self._proc.wait(timeout=10) if self._proc else None
                if self._stderr_reader is not None:
                    # Let the last words of the crash reach the message.
                    self._stderr_reader.join(timeout=2)
                raise self._died(code)
            try:
                event = EVENT.validate_json(line)
            except ValidationError:
                self._kill()
                raise ChildCrashed(
                    f"the Blender child broke the protocol: {line[:200]!r}"
                ) from None
            if isinstance(event, Warning_):
                self._warn(event.message)
                continue
            event_request = getattr(event, "request_id", None)
            if request_id is not None and event_request not in (request_id, None):
                # A late event of an earlier request that failed on our side: not ours.
                continue
            if on_event is not None:
                on_event(event)
            if request_id is None and isinstance(event, Ready):
                return event
            if isinstance(event, FINAL_EVENTS):
                if isinstance(event, Failed):
                    raise _error_for(event)
                return event

    def _died(self, code: int | None) -> RenderEngineError:
        """The error for a child that exited unexpectedly with `code` (negative: by a signal)."""
        limit = self.limits.address_space_bytes
        if limit is not None and _out_of_memory(self.stderr_tail(60)):
            return RenderMemoryExceeded(
                f"the Blender child ran out of address space (its limit is {limit / 2**20:.0f} "
                f"MiB) and stopped (exit code {code}): the scene needs more memory than this "
                "machine allows (raise the address-space limit or skip this job); last output:\n"
                f"{self.stderr_tail()}"
            )
        return ChildCrashed(
            f"the Blender child exited unexpectedly (exit code {code}); last output:\n"
            f"{self.stderr_tail()}"
        )

    def _call(
        self,
        request: BaseModel,
        on_event: Callable[[Any], None] | None = None,
        wall_seconds: float | None = None,
    ) -> Any:
        with self._lock:
            self.start()
            if self.confinement is None:
                self._send(request)
                limit = wall_seconds if wall_seconds is not None else self.limits.wall_seconds
                return self._wait(getattr(request, "id"), limit, on_event)  # noqa: B009
            return self._call_confined(request, on_event, wall_seconds)

    # ---- a confined child's files ------------------------------------------------------------

    def _call_confined(
        self,
        request: BaseModel,
        on_event: Callable[[Any], None] | None,
        wall_seconds: float | None,
    ) -> Any:
        """`_call` for a child that sees only its scratch folder: inputs copied in, outputs
        written into an outbox and moved out, paths in events and errors named as the caller
        named them."""
        assert self.work is not None
        if isinstance(request, PackCopy):
            raise RenderFailed(
                "a confined Blender child cannot pack a scene: packing reads the files beside "
                "it, which only the artist's own (unconfined) child may see"
            )
        request_id: int = getattr(request, "id")  # noqa: B009
        renames: dict[str, str] = {}
        update: dict[str, str] = {}
        for name in ("blend_path", "in_path"):
            if (value := getattr(request, name, None)) is not None:
                staged = self._stage_input(Path(value))
                update[name] = str(staged)
                renames[str(staged)] = value
        # The outputs this request may deliver, by the name this process gives each in the
        # outbox, and where each goes; each is taken once.
        outbox = self.work / f"out-{request_id}"
        wanted: dict[str, Path] = {}
        if (out_dir := getattr(request, "out_dir", None)) is not None:
            update["out_dir"] = str(outbox)
            for region in getattr(request, "regions", []):
                wanted[f"{region.key}.exr"] = Path(out_dir) / f"{region.key}.exr"
        if (out_path := getattr(request, "out_path", None)) is not None:
            update["out_path"] = str(outbox / Path(out_path).name)
            wanted[Path(out_path).name] = Path(out_path)
        outbox_fd = self._make_outbox(outbox.name) if wanted else None

        def delivered(event: Any) -> Any:
            path = getattr(event, "path", None)
            if path is None or outbox_fd is None:
                return event
            dest = _deliver(Path(path), outbox, outbox_fd, wanted)
            return event.model_copy(update={"path": str(dest)})

        def forward(event: Any) -> None:
            if on_event is not None:
                on_event(delivered(event))

        self._send(request.model_copy(update=update))
        limit = wall_seconds if wall_seconds is not None else self.limits.wall_seconds
        try:
            return delivered(self._wait(request_id, limit, forward))
        except ChildCrashed:
            # A child that lied about its files is not asked for anything again.
            self._kill()
            raise
        except RenderEngineError as exc:
            if exc.args and isinstance(exc.args[0], str):
                message = exc.args[0]
                for staged_name, original in renames.items():
                    message = message.replace(staged_name, original)
                exc.args = (message, *exc.args[1:])
            raise
        finally:
            if outbox_fd is not None:
                os.close(outbox_fd)
                # By descriptor, never following a link the child put in the outbox's place.
                shutil.rmtree(outbox.name, dir_fd=self._work_fd, ignore_errors=True)

    def _stage_input(self, path: Path) -> Path:
        """A copy of `path` in the scratch folder's `in`, which is this process's and read-only
        to the child, made once per child and file version."""
        assert self.scratch is not None
        try:
            st = path.stat()
        except OSError as exc:
            raise RenderFailed(f"cannot read {path}: {exc.strerror or exc}") from None
        key = (str(path), st.st_mtime_ns, st.st_size)
        if (staged := self._staged_inputs.get(key)) is not None and staged.exists():
            return staged
        folder = self.scratch / "in" / str(len(self._staged_inputs))
        folder.mkdir(mode=0o711, parents=True)
        folder.parent.chmod(0o711)
        staged = folder / path.name
        shutil.copyfile(path, staged)
        staged.chmod(0o444)
        self._staged_inputs[key] = staged
        return staged

    def _make_outbox(self, name: str) -> int:
        """Make folder `name` in the child's `work` for its outputs, open to the child's user,
        and return this process's descriptor of it."""
        assert self._work_fd is not None
        try:
            os.mkdir(name, 0o700, dir_fd=self._work_fd)
            fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=self._work_fd)
        except OSError as exc:
            self._kill()
            raise ChildCrashed(
                f"the Blender child's outbox {name} could not be made (the child put something "
                f"in its place): {exc}"
            ) from None
        if os.fstat(fd).st_uid != os.geteuid():
            # Swapped between the two calls for a folder of the child's own.
            os.close(fd)
            self._kill()
            raise ChildCrashed(f"the Blender child replaced its outbox {name}")
        if self._ids_dropped_to is not None:
            os.fchown(fd, *self._ids_dropped_to)
        return fd


def _closed_to(ids: tuple[int, int], python: Path) -> Path | None:
    """A folder on the way to the interpreter that user `ids` cannot enter (a Python under /root),
    or None: without bubblewrap to show it to them, they must reach it themselves."""
    for folder in (*python.parents, *Path(sys.prefix).parents, *python.resolve().parents):
        st = folder.stat()
        if not st.st_mode & stat.S_IXOTH and st.st_uid != ids[0]:
            return folder
    return None


def _deliver(path: Path, outbox: Path, outbox_fd: int, wanted: dict[str, Path]) -> Path:
    """Copy a file the confined child reports to where the request wanted it, and remove it
    from the outbox.

    Only a name this process gave for this request, in the outbox this process made (read
    through `outbox_fd`, wherever the child moved the folder, whatever it put in its place), and
    only once: a child that reports anything else (another tile's name, a path elsewhere) or a
    file that is not a plain file with one link (a symbolic link to a secret, a hard link to
    one) is a broken child, not a render. The file is opened without following links and
    checked as opened, so the child, which keeps running, cannot swap it in between.
    """
    name = path.name
    if path.parent != outbox or name not in wanted:
        raise ChildCrashed(
            f"the Blender child reported {path}, which is not a file it was asked for "
            f"(it was asked for {sorted(wanted) or 'nothing more'} in {outbox})"
        )
    dest = wanted.pop(name)
    try:
        # O_NONBLOCK: a FIFO in its place would otherwise hold this thread at the open.
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=outbox_fd)
    except OSError as exc:
        raise ChildCrashed(
            f"the Blender child reported {path}, which it did not write: {exc}"
        ) from None
    with os.fdopen(fd, "rb") as source:
        st = os.fstat(source.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
            raise ChildCrashed(f"the Blender child reported {path}, which is not a plain file")
        dest.parent.mkdir(parents=True, exist_ok=True)
        with dest.open("wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
    os.unlink(name, dir_fd=outbox_fd)
    return dest


# What Blender, Python and the C++ runtime print when an allocation fails.
_ALLOCATION_FAILED = ("returns null", "memoryerror", "bad_alloc", "cannot allocate memory")


def _out_of_memory(stderr: str) -> bool:
    said = stderr.lower()
    return any(words in said for words in _ALLOCATION_FAILED)


def _error_for(event: Failed) -> RenderEngineError:
    if event.code == ErrorCode.GPU_FAILED:
        # The child names the cause of every GPU failure; one it did not name is not guessed.
        cause = AbandonCause.UNSPECIFIED if event.cause is None else event.cause
        return GpuRenderFailed(event.message, cause=cause, cycles_error=event.detail)
    cls: type[RenderEngineError] = {
        ErrorCode.NOT_A_BLEND: BlendFileError,
        ErrorCode.DAMAGED_BLEND: BlendFileError,
        ErrorCode.NO_CAMERA: NoCameraError,
        ErrorCode.RENDER_FAILED: RenderFailed,
        ErrorCode.NO_SCENE_OPEN: RenderFailed,
    }.get(event.code, RenderEngineError)
    return cls(event.message)

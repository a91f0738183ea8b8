"""The parent side of the Blender child process: start it sandboxed, send it requests, read its
events, enforce its limits, stop it.

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
    ErrorCode,
    Failed,
    Ready,
    Shutdown,
    Warning_,
)
from tilefarm.adapters.blender.sandbox import Sandbox, netns_prefix
from tilefarm.hardware_codes import AbandonCause

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class ChildLimits:
    """Limits on the child. `wall_seconds` applies to each request; `memory_bytes` to the child's
    resident memory, sampled every 50 ms; `None` means unlimited."""

    wall_seconds: float | None = None
    memory_bytes: int | None = None
    start_seconds: float = 60.0


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
    ) -> None:
        self.limits = limits or ChildLimits()
        self.sandbox = sandbox
        self.scratch_root = scratch_root
        self.extra_env = dict(extra_env or {})
        self.python = python or sys.executable
        self.on_warning = on_warning
        self.warnings: list[str] = []
        self.peak_rss_bytes = 0
        self.isolated = False
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
        prefix, reason = netns_prefix() if self.sandbox != Sandbox.NONE else ([], "")
        if self.sandbox == Sandbox.NETNS and not prefix:
            raise SandboxUnavailable(f"cannot isolate the Blender child from the network: {reason}")
        if self.sandbox == Sandbox.AUTO and not prefix:
            self._warn(f"the Blender child will have network access: {reason}")
        self.isolated = bool(prefix)
        self.scratch = Path(tempfile.mkdtemp(prefix="tilefarm-blender-", dir=self.scratch_root))
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.scratch),
            "TMPDIR": str(self.scratch),
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
            cwd=self.scratch,
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
        except BaseException:
            # `with BlenderChild()` never reaches __exit__ when starting fails: clean up here.
            self._kill()
            self._cleanup()
            raise
        self.blender_version = ready.blender_version

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
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
            self.scratch = None

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
        try:
            rss = int(psutil.Process(proc.pid).memory_info().rss)
        except psutil.Error:
            return 0
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
            self._send(request)
            limit = wall_seconds if wall_seconds is not None else self.limits.wall_seconds
            return self._wait(getattr(request, "id"), limit, on_event)  # noqa: B009


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

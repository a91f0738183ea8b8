"""Scene intake: an untrusted upload becomes a scene on IPFS that the page can prefill a job from.

The bytes are streamed to a scratch file with the size limit enforced as they arrive (never held in
memory), checked for a .blend's magic bytes, read by a Blender child shut in as a worker's is
(`sandbox.Confinement`: scripts off, no network, the system read-only, nothing of the server's
state folder, an unprivileged user; time, memory and address-space limits), and only then stored
and pinned on IPFS. A few children read at once (each may take its whole memory limit); further
uploads queue for a while, then are refused with 503 and Retry-After rather than held open
without end.
"""

import asyncio
import contextlib
import dataclasses
import math
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from starlette.concurrency import run_in_threadpool

from marketplace.errors import Busy, PayloadTooLarge, Unprocessable, UnsupportedFile
from tilefarm.adapters.blender.errors import BlendFileError, NoCameraError, RenderEngineError
from tilefarm.adapters.blender.launcher import BlenderChild
from tilefarm.adapters.blender.process import ChildLimits, default_address_space
from tilefarm.adapters.blender.protocol import SceneInfo
from tilefarm.adapters.blender.sandbox import Confinement, Sandbox, check_blend_header


class SceneIntake:
    """Receives, checks and inspects uploaded .blend files."""

    def __init__(
        self,
        scratch: Path,
        max_bytes: int,
        limits: ChildLimits,
        *,
        concurrency: int,
        wait_seconds: float,
        sandbox: Sandbox = Sandbox.AUTO,
        confinement: Confinement | None = None,
    ) -> None:
        self.scratch = scratch
        self.max_bytes = max_bytes
        # Reading a scene renders nothing: a CPU child's address space is limit enough.
        if limits.address_space_bytes is None:
            address_space = default_address_space(limits.memory_bytes)
            limits = dataclasses.replace(limits, address_space_bytes=address_space)
        self.limits = limits
        self.sandbox = sandbox
        # Without one, the server's own state folder (its database, the faucet's key) is hidden.
        self.confinement = confinement or Confinement(hidden=(scratch.parent,))
        self.wait_seconds = wait_seconds
        # One slot per Blender child reading a scene; made on the server's event loop (the
        # intake is built in the app's lifespan) and only used there.
        self.slots = asyncio.Semaphore(concurrency)

    async def receive(
        self,
        chunks: AsyncIterator[bytes],
        declared: int | None,
        on_bytes: Callable[[int], None] | None = None,
    ) -> Path:
        """Stream an upload into a scratch file; 413 as soon as it is known to be too large.
        `on_bytes` hears of each chunk's size as it arrives (a client's byte rate)."""
        if declared is not None and declared > self.max_bytes:
            raise PayloadTooLarge(self._too_large(declared))
        self.scratch.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.scratch, suffix=".blend")
        path = Path(name)
        try:
            size = 0
            with os.fdopen(fd, "wb") as handle:
                async for chunk in chunks:
                    size += len(chunk)
                    if on_bytes is not None:
                        on_bytes(len(chunk))
                    if size > self.max_bytes:
                        raise PayloadTooLarge(self._too_large(size, at_least=True))
                    handle.write(chunk)
            try:
                check_blend_header(path)
            except BlendFileError:
                raise UnsupportedFile(
                    "this is not a Blender file: a .blend starts with 'BLENDER' (or is zstd or "
                    "gzip compressed); save the scene from Blender and upload the .blend"
                ) from None
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return path

    async def inspect(self, path: Path, filename: str) -> SceneInfo:
        """Read frames, resolution, camera and engine in a sandboxed child, once one of the
        slots is free; `Busy` when none was within `wait_seconds`."""
        try:
            async with asyncio.timeout(self.wait_seconds):
                await self.slots.acquire()
        except TimeoutError:
            retry = max(1, math.ceil(self.wait_seconds))
            raise Busy(
                f"the server is reading as many scenes as it can at once; try again in {retry} s",
                details={"retry_after_seconds": retry},
                retry_after=retry,
            ) from None
        try:
            # Not abandoned when the request is cancelled: the slot is freed once the child is.
            return await run_in_threadpool(self._inspect, path, filename)
        finally:
            self.slots.release()

    def _inspect(self, path: Path, filename: str) -> SceneInfo:
        try:
            with BlenderChild(
                limits=self.limits, sandbox=self.sandbox, scratch_root=self.scratch,
                confinement=self.confinement,
            ) as child:  # fmt: skip
                info = child.inspect(path)
        except NoCameraError:
            raise Unprocessable(
                f"{filename} has no active camera: add one and save again"
            ) from None
        except RenderEngineError as exc:
            reason = str(exc).replace(str(path), filename)
            raise Unprocessable(f"{filename} could not be read by Blender: {reason}") from None
        if info.camera is None:
            raise Unprocessable(f"{filename} has no active camera: add one, save again")
        return info

    def discard(self, path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()

    def _too_large(self, size: int, *, at_least: bool = False) -> str:
        qualifier = "more than " if at_least else ""
        return (
            f"the upload is {qualifier}{size} bytes; scenes may be at most {_human(self.max_bytes)}"
        )


def _human(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.3g} {unit}"
    return f"{size} bytes"

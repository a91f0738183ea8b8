"""The film encoder in a process of its own: the server feeds it one frame at a time over a pipe
(`Encoder`), and it writes the MP4 and the ZIP (`reel.FilmWriter`).

Two reasons. FFmpeg is native code: if it fails hard, the child dies, not the server. And x264
reads some memory it never wrote (its results depend on what is left there when frames are
tiny: the same frames encoded twice in one process sometimes differ), so the child runs with
glibc's `MALLOC_PERTURB_`, which fills every allocation with the same byte: the same frames then
give the same bytes, every time.

The protocol is JSON lines: the parent writes `{"name", "png", "exr"}` per frame, or `{"close":
true}` at the end, and the child answers each with `{"ok": true}` or `{"error": "..."}`.
"""

import json
import os
import selectors
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

from marketplace.assembly.reel import FilmError

PERTURB = "165"  # any non-zero byte; fixed, so that the bytes never depend on it
ANSWER_SECONDS = 600.0  # one frame of a large film on a slow machine, with room to spare
# The child's program (`-c`, not `-m`: the package imports this module before runpy would run it).
CHILD = (
    "import sys; from marketplace.assembly.encoder import serve; "
    "sys.exit(serve(sys.stdin.buffer, sys.stdout.buffer, sys.argv[1:]))"
)


class Encoder:
    """A film being written by an encoder child: `add` each frame, then `close` (or `abandon`)."""

    def __init__(self, mp4: Path, archive: Path, width: int, height: int, fps: Fraction) -> None:
        self.mp4, self.archive = mp4, archive
        mp4.parent.mkdir(parents=True, exist_ok=True)
        self._log_path = mp4.with_suffix(".log")
        self._log = self._log_path.open("wb")
        command = [
            sys.executable, "-c", CHILD, str(mp4), str(archive),
            str(width), str(height), str(fps.numerator), str(fps.denominator),
        ]  # fmt: skip
        self._child = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env={**os.environ, "MALLOC_PERTURB_": PERTURB},
        )

    def add(self, name: str, png: Path, exr: Path) -> None:
        """The next frame (see `FilmWriter.add`)."""
        self._ask({"name": name, "png": str(png), "exr": str(exr)})

    def close(self) -> None:
        """Finish both files and end the child."""
        try:
            self._ask({"close": True})
            self._child.wait(ANSWER_SECONDS)
        finally:
            self.abandon()

    def abandon(self) -> None:
        """End the child now (the files are left to be removed)."""
        if self._child.poll() is None:
            self._child.kill()
            self._child.wait()
        for pipe in (self._child.stdin, self._child.stdout):
            if pipe is not None:
                pipe.close()
        self._log.close()

    def _ask(self, request: dict[str, Any]) -> None:
        stdin, stdout = self._child.stdin, self._child.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(json.dumps(request).encode() + b"\n")
            stdin.flush()
        except OSError:
            raise FilmError(f"the film encoder stopped: {self._last_words()}") from None
        with selectors.DefaultSelector() as waiting:
            waiting.register(stdout, selectors.EVENT_READ)
            if not waiting.select(ANSWER_SECONDS):
                raise FilmError(f"the film encoder did not answer in {ANSWER_SECONDS:.0f} s")
        line = stdout.readline()
        if not line:
            raise FilmError(f"the film encoder stopped: {self._last_words()}")
        answer = json.loads(line)
        if "error" in answer:
            raise FilmError(str(answer["error"]))

    def _last_words(self) -> str:
        self._log.flush()
        code = self._child.poll()
        tail = self._log_path.read_bytes()[-500:].decode(errors="replace").strip()
        return f"exit code {code}" + (f": {tail}" if tail else "")


def serve(requests: IO[bytes], answers: IO[bytes], argv: list[str]) -> int:
    """The child: write the film `argv` names from the frames `requests` brings."""
    from marketplace.assembly.reel import FilmWriter

    mp4, archive, width, height, num, den = argv
    fps = Fraction(int(num), int(den))

    def answer(body: dict[str, Any]) -> None:
        answers.write(json.dumps(body).encode() + b"\n")
        answers.flush()

    try:
        writer = FilmWriter(Path(mp4), Path(archive), int(width), int(height), fps)
    except FilmError as exc:
        answer({"error": str(exc)})
        return 1
    for line in requests:
        request = json.loads(line)
        try:
            if request.get("close"):
                writer.close()
                answer({"ok": True})
                return 0
            writer.add(request["name"], Path(request["png"]), Path(request["exr"]))
        except (FilmError, OSError) as exc:
            writer.abandon()
            answer({"error": str(exc)})
            return 1
        answer({"ok": True})
    writer.abandon()  # the server went away
    return 1

"""Frame lists as artists type them: "1", "1-240", "1-240x2" (every 2nd frame), "1..24", and lists
of those ("1,5,9-12x3").

One grammar for the page (`frontend/src/frames.ts` mirrors it, same messages), the CLI's
`--frames` and the add-on, so that "1-240x2" names the same frames wherever it is typed. A job's
manifest holds the frames themselves, never this text: the grammar can grow without changing a
manifest's CID.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tilefarm.errors import TilefarmError
from tilefarm.manifest import MAX_FRAME

# A manifest holds at most this many frames (`RenderManifest.frames`).
MAX_FRAMES = 100_000

# [0-9], not \d: Python's \d takes any script's digits, the page's parser ASCII ones only.
_SINGLE = re.compile(r"([0-9]+)")
_RANGE = re.compile(r"([0-9]+)\s*(?:-|\.\.)\s*([0-9]+)(?:\s*[xX]\s*([0-9]+))?")
_STEP_WITHOUT_RANGE = re.compile(r"[0-9]+\s*[xX]\s*[0-9]+")
_EXAMPLES = "e.g. 1, 1-24 or 1-240x2"


class FramesError(TilefarmError, ValueError):
    """A frame list that names no frames, or names them in a way this grammar does not read;
    the message says which part and why."""


def _number(digits: str) -> int:
    """`digits` as a number, any beyond 10^9 as 10^9: int() refuses thousands of digits with an
    error of its own, and no frame or useful step is that large."""
    significant = digits.lstrip("0") or "0"
    return int(significant) if len(significant) <= 9 else 10**9


def _frame(part: str, digits: str) -> int:
    if _number(digits) > MAX_FRAME:
        raise FramesError(f'"{part}" goes past frame {MAX_FRAME:,}, the last one Blender renders')
    return _number(digits)


def _part(part: str) -> range:
    """The frames one comma-separated part names."""
    if _SINGLE.fullmatch(part):
        value = _frame(part, part)
        return range(value, value + 1)
    match = _RANGE.fullmatch(part)
    if match is None:
        if _STEP_WITHOUT_RANGE.fullmatch(part):
            raise FramesError(f'"{part}" has a step but no range; write it like 1-240x2')
        raise FramesError(
            f'"{part}" is not a frame number, a range like 1-24 or a stepped one like 1-240x2'
        )
    first, last = _frame(part, match[1]), _frame(part, match[2])
    step = _number(match[3]) if match[3] is not None else 1
    if last < first:
        raise FramesError(f'"{part}" runs backwards; write the first frame first')
    if step < 1:
        raise FramesError(f'"{part}" steps by 0; a step is 1 or more')
    return range(first, last + 1, step)


def _too_many(what: str) -> str:
    shown = what if len(what) <= 40 else what[:37] + "..."
    return (
        f'"{shown}" is more than {MAX_FRAMES:,} frames, the most a job renders '
        "(use a step, e.g. 1-240x2, or split the job)"
    )


def parse_frames(text: str) -> list[int]:
    """The frames `text` names, sorted and without repeats.

    Parts are separated by commas; each is a frame ("7"), a range with both ends included
    ("1-24" or "1..24"), or a range with a step ("1-240x2": 1, 3, ..., 239). Raises
    `FramesError` saying which part is wrong, and when the list names no frame, a frame past
    Blender's last, or more than a manifest holds.
    """
    frames: set[int] = set()
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            continue
        named = _part(part)
        # Counted before expanding: a typo like 1-1000000 must not fill a set first.
        if len(named) > MAX_FRAMES:
            raise FramesError(_too_many(part))
        frames.update(named)
        if len(frames) > MAX_FRAMES:
            raise FramesError(_too_many(text.strip()))
    if not frames:
        raise FramesError(f"name at least one frame, {_EXAMPLES}")
    return sorted(frames)


def format_frames(frames: Iterable[int]) -> str:
    """The shortest text `parse_frames` reads back as `frames` (sorted, repeats dropped), written
    as comma-separated runs: "1-240x2", "1-3,7", "5".

    Runs are slices of the sorted frames with one step each; among those the total length is
    the least (ties: fewer runs, then the longer first run). Raises `FramesError` for no frames
    or a frame outside 0..MAX_FRAME.
    """
    values = sorted(set(frames))
    if not values:
        raise FramesError(f"name at least one frame, {_EXAMPLES}")
    if values[0] < 0 or values[-1] > MAX_FRAME:
        raise FramesError(f"frames lie in 0..{MAX_FRAME:,}; got {values[0]}..{values[-1]}")
    n = len(values)
    # run_end[i]: the last index of the longest run from i whose step is values[i+1]-values[i].
    run_end = list(range(n))
    for i in range(n - 2, -1, -1):
        step = values[i + 1] - values[i]
        follows = i + 2 < n and values[i + 2] - values[i + 1] == step
        run_end[i] = run_end[i + 1] if follows else i + 1
    # best[i]: (characters, runs, where the first run ends) of the shortest writing of
    # values[i:]. A run from i stops at i, takes its whole longest run, or leaves that run's last
    # frame to the next run; cutting it shorter only moves frames into a run of the same step.
    best: list[tuple[int, int, int]] = [(-1, 0, n)] * (n + 1)
    for i in range(n - 1, -1, -1):
        options: list[tuple[int, int, int]] = []
        for j in {i, run_end[i], run_end[i] - 1}:
            if j < i:
                continue
            length = len(_run_text(values, i, j)) + best[j + 1][0] + 1
            options.append((length, best[j + 1][1] + 1, -j))
        length, count, end = min(options)
        best[i] = (length, count, -end)
    texts: list[str] = []
    i = 0
    while i < n:
        j = best[i][2]
        texts.append(_run_text(values, i, j))
        i = j + 1
    return ",".join(texts)


def _run_text(values: list[int], i: int, j: int) -> str:
    """values[i..j] (an arithmetic run) as text."""
    if i == j:
        return str(values[i])
    step = values[i + 1] - values[i]
    return f"{values[i]}-{values[j]}" if step == 1 else f"{values[i]}-{values[j]}x{step}"

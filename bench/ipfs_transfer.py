"""A large scene between two Kubo nodes, with bounded memory on both sides:
`python -m bench.ipfs_transfer` prints a table, `--json` the figures.

Two nodes of their own (`tilefarm_cli/devnet/nodes.py`), peered on loopback: the artist's node
adds a `--mib` MiB file (512 by default) of random bytes, streamed from disk by the project's
client (`KuboClient.add_file`), and the worker's node fetches it over libp2p into a file
(`KuboClient.cat_to_file`, checked against its CID as it streams). Measured: each step's time and
throughput, and the peak resident memory of this Python process and of each Kubo daemon, sampled
every 50 ms while the step runs (`python_rss_peak_mb` against `python_rss_before_mb` shows what
the client itself holds).

Target: the client's memory stays flat, whatever the file's size (well under the file's size).
"""

import argparse
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

import psutil

from tilefarm.cids import cid_of_file
from tilefarm_cli.devnet.nodes import KuboNode, peer, wait_connected
from tilefarm_cli.settings import TilefarmSettings

MIB = 1 << 20
T = TypeVar("T")


class PeakRss:
    """The highest resident memory (MiB) each watched process reached while sampling ran."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.peaks = dict.fromkeys(pids, 0.0)
        self._stop = threading.Event()

    def _sample(self) -> None:
        for name, proc in self.procs.items():
            with suppress(psutil.Error):
                self.peaks[name] = max(self.peaks[name], proc.memory_info().rss / MIB)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self._sample()

    @contextmanager
    def sampling(self) -> Iterator["PeakRss"]:
        thread = threading.Thread(target=self._run, daemon=True)
        self._sample()
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()
            self._sample()


def timed(step: Callable[[], T], pids: dict[str, int]) -> tuple[T, float, dict[str, float]]:
    """`step()`'s answer, its seconds and the peak RSS (MiB) of each process while it ran."""
    rss = PeakRss(pids)
    with rss.sampling():
        start = time.monotonic()
        answer = step()
        seconds = time.monotonic() - start
    return answer, seconds, {name: round(mb, 1) for name, mb in rss.peaks.items()}


def write_random(path: Path, mib: int) -> None:
    """`mib` MiB of random bytes, written a MiB at a time."""
    with path.open("wb") as out:
        for _ in range(mib):
            out.write(os.urandom(MIB))


def run(mib: int, root: Path) -> dict[str, object]:
    ipfs_bin = TilefarmSettings().ipfs_bin
    artist = KuboNode.start(root / "artist" / "repo", ipfs_bin, name="artist-kubo")
    worker = KuboNode.start(root / "worker" / "repo", ipfs_bin, name="worker-kubo")
    try:
        peer(artist, worker)
        wait_connected(worker, artist)
        source = root / "scene.blend"
        write_random(source, mib)
        assert artist.process and worker.process
        pids = {"python": os.getpid(), "artist_kubo": artist.process.pid,
                "worker_kubo": worker.process.pid}  # fmt: skip
        before = psutil.Process().memory_info().rss / MIB
        with artist.client() as ipfs:
            cid, add_s, add_rss = timed(lambda: ipfs.add_file(source), pids)
        with worker.client() as ipfs:
            copy, fetch_s, fetch_rss = timed(
                lambda: ipfs.cat_to_file(cid, root / "fetched.blend"), pids
            )
        same = cid_of_file(copy) == cid == cid_of_file(source)
    finally:
        worker.stop()
        artist.stop()
    return {
        "mib": mib,
        "cid": cid,
        "cid_matches": same,
        "python_rss_before_mb": round(before, 1),
        "add": {"seconds": round(add_s, 2), "mib_per_second": round(mib / add_s, 1),
                "rss_peak_mb": add_rss},
        "fetch": {"seconds": round(fetch_s, 2), "mib_per_second": round(mib / fetch_s, 1),
                  "rss_peak_mb": fetch_rss},
        "python_rss_peak_mb": max(add_rss["python"], fetch_rss["python"]),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=512, help="the scene's size in MiB")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tilefarm-bench-ipfs-") as tmp:
        figures = run(args.mib, Path(tmp))
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    print(f"{args.mib} MiB between two peered Kubo nodes (CID matches: {figures['cid_matches']})")
    print(f"python RSS before: {figures['python_rss_before_mb']} MiB")
    for step in ("add", "fetch"):
        s = figures[step]
        assert isinstance(s, dict)
        peaks = ", ".join(f"{name} {mb} MiB" for name, mb in s["rss_peak_mb"].items())
        print(
            f"{step:6} {s['seconds']:7.2f} s  {s['mib_per_second']:7.1f} MiB/s  peak RSS: {peaks}"
        )


if __name__ == "__main__":
    main()

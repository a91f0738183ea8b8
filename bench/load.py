"""An open-loop HTTP load generator for the benches, run in a process of its own.

`open_loop` sends a request every 1/rate s whatever the answers (at most `connections` in
flight) and reports latency percentiles, overall and per route. Latency counts from the moment a
request was due, so time spent waiting for a free connection counts too (no coordinated
omission). The client is a bare keep-alive HTTP/1.1 connection: the load generator must cost far
less than the server it measures (httpx spends about a millisecond of CPU per request).
"""

import asyncio
import contextlib
import multiprocessing as mp
import os
import time
from collections.abc import Sequence
from typing import Any

# The server gets core 0 to itself; the chain, IPFS, the bench and the load generator share
# core 1.
SERVER_CORE = 0
OTHER_CORE = 1

PIN = os.environ.get("BENCH_API_PIN", "1") != "0"


def pin(pid: int, core: int) -> None:
    """Pin a process to one core, where the machine has more than one (BENCH_API_PIN=0: no)."""
    if PIN and hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > core:
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(pid, {core})


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


class Connection:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def get(self, host: str, path: str) -> int:
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = next(
            int(line.split(":", 1)[1])
            for line in lines
            if line.lower().startswith("content-length:")
        )
        await self.reader.readexactly(length)
        return status


def _summary(latencies: Sequence[float]) -> dict[str, Any]:
    return {
        "requests": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 2),
        "p90_ms": round(percentile(latencies, 90), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(max(latencies), 2) if latencies else float("nan"),
    }


def _load(
    base: str,
    rate: float,
    seconds: float,
    requests: Sequence[tuple[str, str]],
    connections: int,
    out: Any,
) -> None:
    """The load process: request n is `requests[n % len(requests)]` (a route's name and a path)."""
    pin(0, OTHER_CORE)
    host, port = base.removeprefix("http://").split(":")

    async def run() -> dict[str, Any]:
        pool: asyncio.Queue[Connection] = asyncio.Queue()
        for _ in range(connections):
            pool.put_nowait(Connection(*await asyncio.open_connection(host, int(port))))
        latencies: dict[str, list[float]] = {}
        errors: dict[str, int] = {}
        warm = await pool.get()
        first: dict[str, str] = {}
        for route, path in requests:
            first.setdefault(route, path)
        for path in first.values():
            await warm.get(host, path)
        pool.put_nowait(warm)

        async def one(route: str, path: str, due: float) -> None:
            connection = await pool.get()
            try:
                status = await asyncio.wait_for(connection.get(host, path), 10)
                key = str(status)
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                key = type(exc).__name__
                connection = Connection(*await asyncio.open_connection(host, int(port)))
            latencies.setdefault(route, []).append((time.perf_counter() - due) * 1000)
            pool.put_nowait(connection)
            if key != "200":
                errors[f"{route} {key}"] = errors.get(f"{route} {key}", 0) + 1

        tasks = []
        begin = time.perf_counter()
        for n in range(int(rate * seconds)):
            due = begin + n / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            route, path = requests[n % len(requests)]
            tasks.append(asyncio.create_task(one(route, path, due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - begin
        everything = [x for values in latencies.values() for x in values]
        return {
            **_summary(everything),
            "seconds": round(elapsed, 2),
            "achieved_rps": round(len(everything) / elapsed, 1),
            "errors": errors,
            "routes": {route: _summary(values) for route, values in sorted(latencies.items())},
        }

    out.put(asyncio.run(run()))


def open_loop(
    base: str,
    rate: float,
    seconds: float,
    requests: Sequence[tuple[str, str]],
    connections: int = 32,
) -> dict[str, Any]:
    """Load `base` from a process of its own (pinned to `OTHER_CORE`) and return its report."""
    started = start_open_loop(base, rate, seconds, requests, connections)
    return started.result()


class StartedLoad:
    """A load process under way; `result()` waits for its report."""

    def __init__(self, process: Any, queue: Any) -> None:
        self.process, self.queue = process, queue

    def is_alive(self) -> bool:
        return bool(self.process.is_alive())

    def result(self) -> dict[str, Any]:
        report: dict[str, Any] = self.queue.get()
        self.process.join()
        return report


def start_open_loop(
    base: str,
    rate: float,
    seconds: float,
    requests: Sequence[tuple[str, str]],
    connections: int = 32,
) -> StartedLoad:
    """Start the load process and return at once (for benches that sample something meanwhile)."""
    context = mp.get_context("spawn")
    queue: Any = context.Queue()
    process = context.Process(
        target=_load, args=(base, rate, seconds, list(requests), connections, queue)
    )
    process.start()
    return StartedLoad(process, queue)

"""CPU seconds of this process and everything it started, by role, between two moments: what
the marketplace's own processes (chain, IPFS, server, worker daemons, the demo's driver) cost
next to Blender's while a job runs. On a machine whose cores Blender fills, every CPU second
of the rest is time taken from the renders."""

from __future__ import annotations

import psutil

# (role, a word of the command line that names it); the first that matches counts.
ROLES = (
    ("blender", "tilefarm.adapters.blender.child"),
    ("worker daemons", "render-worker"),
    ("server", "serve"),
    ("anvil", "anvil"),
    ("kubo", "ipfs"),
)

Snapshot = dict[int, tuple[str, float]]


def _role(proc: psutil.Process) -> str:
    line = " ".join(proc.cmdline())
    return next((role for role, word in ROLES if word in line), "other")


def snapshot() -> Snapshot:
    """Each live process of the tree: its role and CPU seconds so far."""
    me = psutil.Process()
    taken: Snapshot = {}
    for proc in [me, *me.children(recursive=True)]:
        try:
            times = proc.cpu_times()
            role = "demo driver (this process)" if proc.pid == me.pid else _role(proc)
            taken[proc.pid] = (role, times.user + times.system)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue  # ended between the listing and the reading
    return taken


def spent(before: Snapshot, after: Snapshot) -> dict[str, float]:
    """CPU seconds by role from `before` to `after` (a process started in between counts from
    its start; one that ended in between is not seen)."""
    by_role: dict[str, float] = {}
    for pid, (role, seconds) in after.items():
        by_role[role] = by_role.get(role, 0.0) + seconds - before.get(pid, (role, 0.0))[1]
    return {role: round(seconds, 2) for role, seconds in sorted(by_role.items())}

"""The demo's IPFS: a Kubo node of its own for the server and for each worker, online on
loopback and all peered with each other, so that scenes, tiles and evidence move between nodes
over libp2p as they do between machines (`tilefarm_cli.devnet.nodes`).

The artist has no node: it talks to the server over HTTP only (the scene and the manifest go to
`POST /api/scenes` and `/api/manifests`, the frames come from `GET /api/jobs/{id}/frames`), so
its uploads land on the server's node, and the workers fetch them from there.
"""

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tilefarm_cli.demo.errors import DemoError
from tilefarm_cli.demo.options import DemoOptions
from tilefarm_cli.demo.processes import ProcessGroup
from tilefarm_cli.devnet import PortInUse
from tilefarm_cli.devnet.kubo import kubo_env
from tilefarm_cli.devnet.nodes import LOOPBACK, KuboNode, KuboPorts, peer, wait_connected
from tilefarm_cli.devnet.ports import free_port, port_is_free, port_owner


@dataclass
class DemoNodes:
    """The running nodes: the server's and each worker's (by worker number)."""

    server: KuboNode
    workers: dict[int, KuboNode]

    def api_urls(self) -> dict[str, str]:
        """Each party's node API, for the summary."""
        urls = {"server": self.server.api_url}
        urls.update({f"worker {n}": node.api_url for n, node in self.workers.items()})
        return urls


def check_ports(options: DemoOptions) -> None:
    """The server's node takes the demo's IPFS API and gateway ports: refuse taken ones up front."""
    wanted = [
        ("the server's Kubo API", options.ipfs_api_port, "--ipfs-api-port"),
        ("the server's Kubo gateway", options.ipfs_gateway_port, "--ipfs-gateway-port"),
    ]
    for service, port, setting in wanted:
        if not port_is_free(options.host, port):
            raise PortInUse(service, options.host, port, setting, port_owner(port))


def start_nodes(
    group: ProcessGroup, options: DemoOptions, workers: list[int], ipfs_bin: Path
) -> DemoNodes:
    """Start the server's node (on the demo's IPFS API port, with its gateway) and one node per
    worker, each recorded in `group`, and peer every node with every other. Call it from the
    thread that lives as long as the demo: the nodes stop when it ends."""
    root = options.state_dir / "ipfs"
    swarm = free_port(LOOPBACK)
    while swarm in (options.ipfs_api_port, options.ipfs_gateway_port):
        swarm = free_port(LOOPBACK)
    server_ports = KuboPorts(api=options.ipfs_api_port, swarm=swarm)
    server = KuboNode(root / "server", server_ports, ipfs_bin, name="server")
    _start(group, "server's Kubo", server, gateway_port=options.ipfs_gateway_port)
    started = [server]
    by_worker = {}
    for n in workers:
        node = KuboNode(root / f"worker-{n}", KuboPorts.free(), ipfs_bin, name=f"worker-{n}")
        by_worker[n] = _start(group, f"worker {n}'s Kubo", node)
        for other in started:
            peer(node, other)
        started.append(node)
    for i, a in enumerate(started):
        for b in started[i + 1 :]:
            wait_connected(a, b)
    return DemoNodes(server=server, workers=by_worker)


def _start(
    group: ProcessGroup, name: str, node: KuboNode, gateway_port: int | None = None
) -> KuboNode:
    """Run `node` and record it in `group` under `name` (so that every shutdown path, and the
    next run after a SIGKILL, stops it)."""
    if gateway_port is not None:
        _set_gateway(node, gateway_port)
    try:
        node.run()
    except BaseException:
        node.stop()
        raise
    assert node.process is not None
    group.adopt(node.process.model_copy(update={"name": name}))
    return node


def _set_gateway(node: KuboNode, port: int) -> None:
    """A read-only HTTP gateway on loopback, where a browser can open `/ipfs/<cid>` (the nodes
    serve none by default)."""
    argv = [str(node.ipfs_bin), "config", "Addresses.Gateway", f"/ip4/{LOOPBACK}/tcp/{port}"]
    done = subprocess.run(argv, env=kubo_env(node.repo), capture_output=True, text=True)
    if done.returncode != 0:
        raise DemoError(f"could not set {node.name}'s gateway: {done.stderr.strip()}")

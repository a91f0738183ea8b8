"""Kubo nodes of their own, one per party (artist, server, each worker), that exchange content
over libp2p on loopback instead of sharing one `--offline` node.

Each node has its own repo, API port and swarm port, and listens on `/ip4/127.0.0.1/tcp/PORT`
only. Nothing leaves the machine: no bootstrap peers, no mDNS, no DHT (`Routing.Type=none`: a
node finds content only on the peers it is connected to, which bitswap asks directly), no relay,
no AutoNAT, no hole punching, no AutoConf. Nodes meet because they are peered by hand
(`peer(a, b)`): each names the other in `Peering.Peers`, so that Kubo keeps the connection up and
dials it again after either side restarts.
"""

import json
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tilefarm.adapters.ipfs import IpfsError, KuboClient
from tilefarm_cli.devnet.errors import DevnetError
from tilefarm_cli.devnet.kubo import kubo_env
from tilefarm_cli.devnet.ports import free_port
from tilefarm_cli.devnet.process import ManagedProcess, spawn, tail

LOOPBACK = "127.0.0.1"

# Everything that could reach past loopback is off; what stays on is libp2p over TCP and bitswap.
PRIVATE_CONFIG: dict[str, object] = {
    "Bootstrap": [],
    "Discovery.MDNS.Enabled": False,
    "Routing.Type": "none",
    "AutoConf.Enabled": False,
    "AutoTLS.Enabled": False,
    "AutoNAT.ServiceMode": "disabled",
    "HTTPRetrieval.Enabled": False,
    "Provide.Enabled": False,
    "Swarm.DisableNatPortMap": True,
    "Swarm.EnableHolePunching": False,
    "Swarm.RelayClient.Enabled": False,
    "Swarm.RelayService.Enabled": False,
    "Swarm.Transports.Network.Relay": False,
    "Addresses.Gateway": [],
}


@dataclass(frozen=True)
class KuboPorts:
    """A node's loopback ports: its RPC API and its libp2p swarm (TCP)."""

    api: int
    swarm: int

    @classmethod
    def free(cls) -> "KuboPorts":
        """Two ports nothing listens on right now (and not the same one twice)."""
        api = free_port(LOOPBACK)
        swarm = free_port(LOOPBACK)
        while swarm == api:
            swarm = free_port(LOOPBACK)
        return cls(api=api, swarm=swarm)


class KuboNode:
    """One Kubo daemon with its own repo, started on loopback and online (not `--offline`).

    The programs it starts stop when the thread that started them ends (`spawn`'s leash), unless
    `outlive_starter`.
    """

    def __init__(
        self,
        repo: Path,
        ports: KuboPorts,
        ipfs_bin: Path,
        *,
        name: str = "kubo",
        startup_timeout: float = 30.0,
        outlive_starter: bool = False,
    ) -> None:
        self.repo = repo
        self.ports = ports
        self.ipfs_bin = ipfs_bin
        self.name = name
        self.startup_timeout = startup_timeout
        self.outlive_starter = outlive_starter
        self.process: ManagedProcess | None = None
        self._init_repo()
        self.peer_id = str(self._config_value("Identity.PeerID"))

    @classmethod
    def start(
        cls,
        repo: Path,
        ipfs_bin: Path,
        ports: KuboPorts | None = None,
        *,
        name: str = "kubo",
        startup_timeout: float = 30.0,
        outlive_starter: bool = False,
    ) -> "KuboNode":
        """A node with its repo at `repo` (created on first use), started and answering."""
        node = cls(
            repo, ports or KuboPorts.free(), ipfs_bin, name=name,
            startup_timeout=startup_timeout, outlive_starter=outlive_starter,
        )  # fmt: skip
        node.run()
        return node

    # -- where it is ------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.ports.api}"

    @property
    def swarm_address(self) -> str:
        """The multiaddr other nodes dial, with this node's peer id."""
        return f"/ip4/{LOOPBACK}/tcp/{self.ports.swarm}/p2p/{self.peer_id}"

    @property
    def log(self) -> Path:
        return self.repo.parent / f"{self.name}.log"

    def client(self, **kwargs: float) -> KuboClient:
        """The project's client for this node (close it, or use it in a `with`)."""
        return KuboClient(self.api_url, **kwargs)

    def is_running(self) -> bool:
        return self.process is not None and self.process.is_running()

    # -- lifecycle --------------------------------------------------------------------------

    def run(self) -> None:
        """Start the daemon unless it runs, and wait until its API answers."""
        if self.is_running():
            return
        if not self.ipfs_bin.exists():
            raise DevnetError(f"Kubo is not installed at {self.ipfs_bin}; run `make setup`")
        argv = [str(self.ipfs_bin), "daemon"]
        self.process = spawn(
            self.name, argv, self.log, kubo_env(self.repo), outlive_starter=self.outlive_starter
        )
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if not self.process.is_running():
                raise DevnetError(f"{self.name} exited during start-up:\n{tail(self.log)}")
            try:
                with KuboClient(self.api_url, timeout=2.0, outage_seconds=0) as probe:
                    probe.version()
                return
            except (httpx.HTTPError, IpfsError):
                if time.monotonic() > deadline:
                    self.stop()
                    raise DevnetError(
                        f"{self.name} did not answer within {self.startup_timeout:.0f} s:\n"
                        f"{tail(self.log)}"
                    ) from None
                time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM the daemon (SIGKILL if it lingers); its repo stays."""
        if self.process is not None:
            self.process.stop()

    def kill(self) -> None:
        """SIGKILL the daemon, as a crash would; its repo stays."""
        if self.process is not None:
            self.process.kill()

    def restart(self) -> None:
        """Stop and start again on the same repo and ports: same peer id, same content, and its
        peers are dialled again from `Peering.Peers`."""
        self.stop()
        self.run()

    # -- peering ----------------------------------------------------------------------------

    def add_peer(self, other: "KuboNode") -> None:
        """Keep a connection to `other`: written to `Peering.Peers` (kept across restarts) and, if
        this node runs, added to its live peering set and dialled at once."""
        entry = {"ID": other.peer_id, "Addrs": [other.swarm_address.rsplit("/p2p/", 1)[0]]}
        known = self._config_value("Peering.Peers")
        peers = [p for p in known if p["ID"] != other.peer_id] if isinstance(known, list) else []
        peers = [*peers, entry]
        if not self.is_running():
            self._set_config("Peering.Peers", peers)
            return
        # The daemon owns its config while it runs: change it through its API.
        self._rpc("/config", arg=["Peering.Peers", json.dumps(peers)], json="true")
        self._rpc("/swarm/peering/add", arg=other.swarm_address)
        if other.is_running():
            self._rpc("/swarm/connect", arg=other.swarm_address)

    def announced_addresses(self) -> list[str]:
        """The multiaddrs this node tells its peers it can be reached at."""
        return [str(a) for a in self._rpc("/id").json().get("Addresses") or []]

    def connected_peers(self) -> set[str]:
        """Peer ids this node is connected to right now."""
        answer = self._rpc("/swarm/peers").json()
        return {str(p["Peer"]) for p in answer.get("Peers") or []}

    def _rpc(self, endpoint: str, **params: str | list[str]) -> httpx.Response:
        """A call to the daemon's RPC API that must succeed."""
        with httpx.Client(base_url=f"{self.api_url}/api/v0", timeout=10.0) as rpc:
            response = rpc.post(endpoint, params=params)
        if response.status_code != 200:
            raise DevnetError(f"{self.name}: Kubo {endpoint} failed: {response.text.strip()}")
        return response

    # -- repo -------------------------------------------------------------------------------

    def _init_repo(self) -> None:
        """Create the repo once (test profile), then set this node's ports and the private
        settings every time (a repo may be reused with other ports)."""
        if not (self.repo / "config").is_file():
            self.repo.mkdir(parents=True, exist_ok=True)
            self._ipfs("init", "--profile", "test", "--empty-repo")
        config = {
            **PRIVATE_CONFIG,
            "Addresses.API": f"/ip4/{LOOPBACK}/tcp/{self.ports.api}",
            "Addresses.Swarm": [f"/ip4/{LOOPBACK}/tcp/{self.ports.swarm}"],
        }
        for key, value in config.items():
            self._set_config(key, value)

    def _set_config(self, key: str, value: object) -> None:
        if isinstance(value, str):
            self._ipfs("config", key, value)
        else:
            self._ipfs("config", "--json", key, json.dumps(value))

    def _config_value(self, key: str) -> object:
        """A value of the repo's config file (the daemon writes it back on every change)."""
        value: object = json.loads((self.repo / "config").read_text())
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        return value

    def _ipfs(self, *args: str) -> str:
        argv = [str(self.ipfs_bin), *args]
        result = subprocess.run(argv, env=kubo_env(self.repo), capture_output=True, text=True)
        if result.returncode != 0:
            raise DevnetError(
                f"`{' '.join(argv)}` failed: {result.stderr.strip() or result.stdout}"
            )
        return result.stdout


def peer(a: KuboNode, b: KuboNode) -> None:
    """Peer two nodes both ways, so that either one dials the other again after a restart."""
    a.add_peer(b)
    b.add_peer(a)


def wait_connected(a: KuboNode, b: KuboNode, timeout: float = 30.0) -> None:
    """Wait until `a` is connected to `b` (after a restart, peering dials again by itself)."""
    deadline = time.monotonic() + timeout
    while b.peer_id not in a.connected_peers():
        if time.monotonic() > deadline:
            raise DevnetError(f"{a.name} did not connect to {b.name} within {timeout:.0f} s")
        time.sleep(0.1)

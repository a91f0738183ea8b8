"""Start, probe and stop the local stack (anvil, Kubo, deployed contracts)."""

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pydantic import BaseModel
from web3 import Web3

from tilefarm.adapters.chain.artifacts import compile_contracts
from tilefarm.adapters.chain.deploy import (
    PROTOCOL_PLAN,
    deploy,
    read_deployments,
    write_deployments,
)
from tilefarm.adapters.ipfs import IpfsError
from tilefarm.adapters.paths import PROJECT_ROOT
from tilefarm_cli.devnet import anvil, kubo
from tilefarm_cli.devnet.errors import DevnetError, PortInUse
from tilefarm_cli.devnet.ports import port_is_free, port_owner
from tilefarm_cli.devnet.process import ManagedProcess, spawn, tail
from tilefarm_cli.settings import TilefarmSettings


class StackState(BaseModel):
    """What `up` started, as written to stack.json."""

    started_at: datetime
    rpc_url: str
    ws_url: str
    ipfs_api_url: str
    processes: dict[str, ManagedProcess]
    deployments_file: Path | None = None


class ProcessStatus(BaseModel):
    name: str
    pid: int
    running: bool
    healthy: bool
    detail: str
    log: Path


class StackStatus(BaseModel):
    """What `status --json` prints."""

    running: bool
    state_file: Path
    chain_id: int | None = None
    block_number: int | None = None
    rpc_url: str | None = None
    ws_url: str | None = None
    ipfs_api_url: str | None = None
    kubo_version: str | None = None
    deployments_file: Path | None = None
    contracts: dict[str, str] = {}
    accounts: list[str] = []
    processes: list[ProcessStatus] = []
    problems: list[str] = []


class Devnet:
    """The local stack described by one `TilefarmSettings`."""

    def __init__(self, settings: TilefarmSettings, *, detached: bool = False) -> None:
        """`detached`: the processes `up` starts outlive the thread that calls it (`tilefarm
        devnet up --detach`); otherwise they stop when it ends, however it ends."""
        self.settings = settings
        self.detached = detached
        self.dir = settings.state_dir / "devnet"
        self.state_file = self.dir / "stack.json"

    # -- queries ---------------------------------------------------------------------------

    def load(self) -> StackState | None:
        if not self.state_file.is_file():
            return None
        return StackState.model_validate_json(self.state_file.read_text())

    def status(self) -> StackStatus:
        """Re-probe every recorded process; `running` only when all of them answer."""
        state = self.load()
        if state is None:
            return StackStatus(running=False, state_file=self.state_file, problems=["not started"])
        report = StackStatus(
            running=True,
            state_file=self.state_file,
            rpc_url=state.rpc_url,
            ws_url=state.ws_url,
            ipfs_api_url=state.ipfs_api_url,
            deployments_file=state.deployments_file,
        )
        probes: dict[str, Callable[[], str]] = {
            "anvil": lambda: self._probe_chain(state, report),
            "kubo": lambda: self._probe_kubo(state, report),
        }
        for name, proc in state.processes.items():
            running = proc.is_running()
            healthy, detail = False, "not running"
            if running:
                try:
                    detail, healthy = probes[name](), True
                except (httpx.HTTPError, IpfsError, ValueError, KeyError) as exc:
                    detail = f"not answering: {exc}"
            report.processes.append(
                ProcessStatus(
                    name=name,
                    pid=proc.pid,
                    running=running,
                    healthy=healthy,
                    detail=detail,
                    log=proc.log,
                )
            )
            if not healthy:
                report.running = False
                report.problems.append(f"{name} (pid {proc.pid}) is {detail}")
        if report.running and state.deployments_file is not None:
            self._check_contracts(state.deployments_file, report)
        return report

    def _probe_chain(self, state: StackState, report: StackStatus) -> str:
        report.chain_id, report.block_number = anvil.probe(state.rpc_url)
        report.accounts = [str(a) for a in anvil.rpc(state.rpc_url, "eth_accounts")]  # type: ignore[attr-defined]
        return f"chain {report.chain_id} at block {report.block_number}"

    def _probe_kubo(self, state: StackState, report: StackStatus) -> str:
        report.kubo_version = kubo.probe(state.ipfs_api_url)
        return f"Kubo {report.kubo_version}"

    def _check_contracts(self, deployments_file: Path, report: StackStatus) -> None:
        deployments = read_deployments(deployments_file)
        for name, contract in deployments.contracts.items():
            report.contracts[name] = contract.address
            code = anvil.rpc(str(report.rpc_url), "eth_getCode", [contract.address, "latest"])
            if code in ("0x", "0x0", None):
                report.running = False
                report.problems.append(f"{name} has no code at {contract.address}")

    # -- commands ---------------------------------------------------------------------------

    def up(self, on_crashed: Callable[[StackStatus], None] | None = None) -> StackStatus:
        """Start the stack unless it already runs; a crashed stack is reported and replaced."""
        if self.load() is not None:
            current = self.status()
            if current.running:
                return current
            if on_crashed is not None:
                on_crashed(current)
            self.down()
        self._check_ports()
        s = self.settings
        state = StackState(
            started_at=datetime.now(UTC),
            rpc_url=s.rpc_url,
            ws_url=s.ws_url,
            ipfs_api_url=s.ipfs_api_url,
            processes={},
        )
        try:
            self._start(state, "anvil", anvil.anvil_argv(s), None, lambda: anvil.probe(s.rpc_url))
            kubo.init_repo(s, self.dir / "kubo")
            self._start(
                state,
                "kubo",
                kubo.kubo_argv(s),
                kubo.kubo_env(self.dir / "kubo"),
                lambda: kubo.probe(s.ipfs_api_url),
            )
            state.deployments_file = self._deploy()
            self._save(state)
        except BaseException:
            self.down()
            raise
        return self.status()

    def down(self) -> list[ManagedProcess]:
        """Stop exactly the processes `up` recorded; returns those that were still running."""
        state = self.load()
        if state is None:
            return []
        stopped = [p for p in state.processes.values() if p.is_running()]
        for proc in reversed(list(state.processes.values())):
            proc.stop()
        self.state_file.unlink(missing_ok=True)
        return stopped

    # -- steps ------------------------------------------------------------------------------

    def _check_ports(self) -> None:
        s = self.settings
        wanted = [
            ("anvil", s.chain_port, "TILEFARM_CHAIN_PORT (--chain-port)"),
            ("Kubo's API", s.ipfs_api_port, "TILEFARM_IPFS_API_PORT (--ipfs-api-port)"),
            (
                "Kubo's gateway",
                s.ipfs_gateway_port,
                "TILEFARM_IPFS_GATEWAY_PORT (--ipfs-gateway-port)",
            ),
        ]
        for service, port, setting in wanted:
            if not port_is_free(s.host, port):
                raise PortInUse(service, s.host, port, setting, port_owner(port))

    def _start(
        self,
        state: StackState,
        name: str,
        argv: list[str],
        env: dict[str, str] | None,
        probe: Callable[[], object],
    ) -> None:
        if not Path(argv[0]).exists():
            raise DevnetError(f"{name} is not installed at {argv[0]}; run `make setup`")
        log = self.dir / f"{name}.log"
        proc = spawn(name, argv, log, env, outlive_starter=self.detached)
        state.processes[name] = proc
        self._save(state)
        deadline = time.monotonic() + self.settings.startup_timeout
        while True:
            if not proc.is_running():
                raise DevnetError(f"{name} exited during start-up:\n{tail(proc.log)}")
            try:
                probe()
                return
            except (httpx.HTTPError, IpfsError, ValueError):
                if time.monotonic() > deadline:
                    raise DevnetError(
                        f"{name} did not answer within {self.settings.startup_timeout:.0f} s:\n"
                        f"{tail(proc.log)}"
                    ) from None
                time.sleep(0.1)

    def _deploy(self) -> Path:
        s = self.settings
        if _build_is_stale(s.build_dir):
            compile_contracts(s.solcx_binary_path)
        w3 = Web3(Web3.HTTPProvider(s.rpc_url))
        deployer = w3.eth.accounts[0]
        deployments = deploy(w3, deployer, s.build_dir, PROTOCOL_PLAN)
        return write_deployments(deployments, s.deployments_dir)

    def _save(self, state: StackState) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(state.model_dump(mode="json"), indent=2) + "\n")
        tmp.replace(self.state_file)


def _build_is_stale(build_dir: Path) -> bool:
    """True when a contract source is newer than the build (or there is no build)."""
    artifacts = list((build_dir / "contracts").glob("*.json"))
    if not artifacts:
        return True
    built = min(a.stat().st_mtime for a in artifacts)
    sources = (PROJECT_ROOT / "contracts").rglob("*.sol")
    return any(src.stat().st_mtime > built for src in sources)

"""The render worker's one Settings object, read from `RENDER_WORKER_*` environment variables.
No other module of the worker reads the environment."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from tilefarm.adapters.blender.process import ChildLimits, default_address_space, gpu_present
from tilefarm.adapters.blender.sandbox import Confinement, Sandbox
from tilefarm.adapters.paths import DEFAULT_STATE_DIR
from tilefarm.hardware import Hardware


class PricingPolicy(BaseModel):
    """How the operator prices this machine's work: the config file's `[pricing]` section, which
    `render_worker/work/pricing.py` bids by."""

    model_config = ConfigDict(extra="forbid")

    wei_per_render_second: int = Field(
        10**12, ge=0, description="what a second of this machine costs"
    )
    min_margin: float = Field(0.2, ge=0, le=10, description="bid at cost x (1 + margin)")
    complexity_factor: float = Field(1.0, gt=0, le=1000, description="scene cost vs the benchmark")
    max_queue_tiles: int = Field(256, ge=1, description="unrendered tiles held at most")
    deadline_safety: float = Field(0.5, gt=0, le=1, description="share of the window to plan for")
    setup_seconds: float = Field(10.0, ge=0, description="fetch and scene load, per job")


class WorkerSettings(BaseSettings):
    """How this machine renders: devices, threads, sandbox and limits of the Blender child."""

    model_config = SettingsConfigDict(env_prefix="RENDER_WORKER_", extra="ignore")

    devices: str = Field(
        "auto",
        description="'auto' (best GPU backend, else CPU) or a list: 'cuda,cpu', 'cpu', device ids",
    )
    threads: int = Field(0, ge=0, description="CPU render threads; 0 = one per core")
    sandbox: Sandbox = Field(
        Sandbox.AUTO,
        description="how the Blender child is shut in: auto or bwrap (bubblewrap for a job's "
        "child, or it does not start; other children fall back with a warning), netns (network "
        "cut only) or none (nothing, with a loud warning for a job's child)",
    )
    child_user: str | None = Field(
        "nobody",
        description="the unprivileged user a job's Blender child runs as when the worker runs as "
        "root",
    )
    address_space_limit_mb: int | None = Field(
        None,
        gt=0,
        description="virtual memory limit (RLIMIT_AS) of the Blender child in MiB; unset = the "
        "memory limit (or this machine's memory) + 4 GiB + 128 MiB per render thread on a "
        "machine that renders on its CPU, none where a GPU may render (CUDA and HIP reserve "
        "address space the size of host and device memory together)",
    )
    render_time_limit_s: float | None = Field(
        3600.0, gt=0, description="wall-time limit of one render request; unset = none"
    )
    memory_limit_mb: int | None = Field(
        None, gt=0, description="resident memory limit of the Blender child in MiB; unset = none"
    )
    scratch_dir: Path | None = Field(
        None, description="where the child's scratch folders go (default: system temp)"
    )

    def child_limits(self) -> ChildLimits:
        """The limits to start Blender children with."""
        memory = None if self.memory_limit_mb is None else self.memory_limit_mb * 2**20
        address_space = None
        if self.address_space_limit_mb is not None:
            address_space = self.address_space_limit_mb * 2**20
        elif self.renders_on_cpu_only():
            address_space = default_address_space(memory, self.threads)
        return ChildLimits(
            wall_seconds=self.render_time_limit_s,
            memory_bytes=memory,
            address_space_bytes=address_space,
        )

    def renders_on_cpu_only(self) -> bool:
        """Whether no GPU can render here: only the CPU is named, or `auto` finds no GPU."""
        named = {part.strip().lower() for part in self.devices.split(",")}
        return named == {"cpu"} or (named == {"auto"} and not gpu_present())

    def confinement(self) -> Confinement:
        """How a job's Blender child, which reads a stranger's scene, is shut in."""
        return Confinement(user=self.child_user)


class DaemonSettings(WorkerSettings):
    """Everything `render-worker run` needs: the render settings above, plus where the chain,
    IPFS and the key are, how to price, and how to behave. Read from a TOML config file (written
    by `render-worker init`), with RENDER_WORKER_* environment variables taking precedence."""

    state_dir: Path = Field(DEFAULT_STATE_DIR / "worker", description="database, key, tiles")
    keystore: Path | None = Field(None, description="encrypted key; default: state_dir/key.json")
    password: SecretStr | None = Field(None, description="keystore password (no default)")
    rpc_url: str = "http://127.0.0.1:8545"
    ws_url: str | None = Field(None, description="WebSocket RPC; default: rpc_url with ws://")
    ipfs_api_url: str = "http://127.0.0.1:5001"
    deployments_file: Path | None = Field(None, description="deployments JSON of the chain")
    market_address: str | None = Field(None, description="JobMarket address, if no deployments")
    confirmations: int = Field(1, ge=0, description="blocks an event must be deep to be acted on")
    poll_seconds: float = Field(1.0, gt=0, description="chain polling interval (WS wakes earlier)")
    pricing: PricingPolicy = PricingPolicy()
    pixel_samples_per_minute: float | None = Field(
        None,
        gt=0,
        description="this machine's speed; default: the stored `benchmark` figure of the backend "
        "it renders on",
    )
    hardware: Hardware | None = Field(
        None,
        description="the backend class and GPU memory declared on chain (the config's [hardware] "
        "section); default: the backend `devices` selects and its GPU's memory",
    )
    max_scene_bytes: int = Field(2 << 30, gt=0, description="largest scene it will download")
    auto_withdraw_wei: int | None = Field(None, ge=0, description="withdraw at this balance")
    max_fee_wei: int | None = Field(None, gt=0, description="refuse gas fees above this per gas")
    appeal_failures: bool = Field(
        True, description="appeal a failed verification to a panel (posts the dispute bond)"
    )
    recheck_passes: bool = Field(
        True,
        description="recheck other workers' passes from their verifiers' evidence (render-free) "
        "and challenge those it contradicts (posts the dispute bond)",
    )
    max_rechecks: int = Field(
        4, ge=1, description="passes rechecked, or challenges open, at any one time"
    )
    metrics_port: int | None = Field(None, ge=1, le=65535, description="Prometheus endpoint")
    receipt_timeout_s: float = Field(120.0, gt=0)
    # The TOML file these settings were read from (`load`), if any.
    _config_file: Path | None = PrivateAttr(None)

    @property
    def keystore_path(self) -> Path:
        return self.keystore or self.state_dir / "key.json"

    def confinement(self) -> Confinement:
        """A job's child sees nothing of the worker's state folder (its ledger, its work), of
        its keystore or of its config file (which may hold the keystore's password)."""
        hidden = [self.state_dir, self.keystore_path]
        if self._config_file is not None:
            hidden.append(self._config_file)
        return Confinement(hidden=tuple(hidden), user=self.child_user)

    @property
    def database_path(self) -> Path:
        return self.state_dir / "worker.db"

    @property
    def websocket_url(self) -> str:
        return self.ws_url or self.rpc_url.replace("https://", "wss://").replace("http://", "ws://")

    @classmethod
    def load(cls, config_file: Path | None) -> DaemonSettings:
        """Defaults, then the config file, then RENDER_WORKER_* environment variables."""
        values: dict[str, Any] = {}
        if config_file is not None:
            try:
                values = tomllib.loads(config_file.read_text())
            except FileNotFoundError:
                raise ValueError(
                    f"no worker config at {config_file}; create it with `render-worker init`"
                ) from None
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{config_file} is not valid TOML: {exc}") from None
        from_env = cls()
        values.update({name: getattr(from_env, name) for name in from_env.model_fields_set})
        settings = cls(**values)
        settings._config_file = config_file
        return settings

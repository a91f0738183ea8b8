"""The settings of the marketplace server (`tilefarm serve`): one object, read from
`TILEFARM_SERVER_*` environment variables; the defaults serve the local devnet."""

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from tilefarm.adapters.blender.sandbox import Sandbox
from tilefarm.adapters.paths import DEFAULT_STATE_DIR, PROJECT_ROOT

MiB = 1024 * 1024


class MarketplaceSettings(BaseSettings):
    """Settings of the marketplace server."""

    model_config = SettingsConfigDict(env_prefix="TILEFARM_SERVER_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    state_dir: Path = DEFAULT_STATE_DIR / "marketplace"
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL: sqlite:///path.db, or postgresql://user:password@host/name "
        "(served through psycopg 3; servers sharing one take turns to index it); default: a "
        "SQLite file in state_dir",
    )
    ipfs_api_url: str = "http://127.0.0.1:5001"
    pin_retention_days: float | None = Field(
        None,
        gt=0,
        description="days an ended job's scene, tiles and evidence stay pinned on the server's "
        "IPFS node after its last event (frames and films stay); default: kept for ever",
    )
    pinning_service_url: str | None = Field(
        None,
        description="base URL of a remote pinning service (IPFS Pinning Service API) that also "
        "pins every frame and film; default: none",
    )
    pinning_service_token: SecretStr | None = Field(
        None, description="the access token of the pinning service account (no default)"
    )
    rpc_url: str = "http://127.0.0.1:8545"
    max_scene_bytes: int = Field(512 * MiB, gt=0, description="largest .blend accepted")
    inspect_seconds: float = Field(60.0, gt=0, description="time limit to read a scene")
    inspect_memory_bytes: int = Field(4096 * MiB, gt=0, description="memory limit to read one")
    inspect_sandbox: Sandbox = Field(
        Sandbox.AUTO,
        description="how the Blender child that reads an upload is shut in: auto or bwrap "
        "(bubblewrap, or the server refuses to read uploads), netns (its network cut only) or "
        "none (nothing, with a loud warning)",
    )
    inspect_user: str | None = Field(
        "nobody", description="the unprivileged user it runs as when the server runs as root"
    )
    upload_rate_per_minute: float = Field(
        10.0, gt=0, description="scene uploads one client (IP address) may start per minute"
    )
    upload_bytes_per_minute: int = Field(
        2048 * MiB, gt=0, description="bytes of scene uploads one client may send per minute"
    )
    proxy_headers: bool = Field(
        False,
        description="take a client's address from X-Forwarded-For (set by a reverse proxy in "
        "front of this server); off, a client cannot pick the address its limits count against",
    )
    forwarded_allow_ips: str = Field(
        "127.0.0.1",
        description="with proxy_headers: the proxies' addresses (comma-separated, or *) whose "
        "X-Forwarded-For is believed",
    )
    inspect_concurrency: int = Field(
        2,
        ge=1,
        le=64,
        description="scenes read at once (a Blender child each, up to inspect_memory_bytes); "
        "further uploads wait their turn",
    )
    inspect_wait_seconds: float = Field(
        30.0,
        ge=0,
        le=600,
        description="how long an upload waits for its turn before it is refused (503, with "
        "Retry-After)",
    )
    frontend_dir: Path = PROJECT_ROOT / "frontend" / "dist"
    deployments_file: Path | None = Field(
        None, description="the market's deployments file; when set, the chain indexer runs"
    )
    ws_url: str | None = Field(
        None, description="WebSocket RPC for new-block wake-ups; without it the indexer polls"
    )
    confirmations: int = Field(
        0, ge=0, le=256, description="blocks an event must be under the head before it is indexed"
    )
    poll_interval: float = Field(1.0, gt=0, le=60, description="seconds between chain polls")
    # The web page (GET /api/config) and the devnet faucet (POST /api/faucet).
    public_rpc_url: str | None = Field(
        None, description="the chain RPC the browser uses; default: rpc_url"
    )
    explorer_tx_url: str | None = Field(
        None, description="a block explorer's transaction page, with {tx} for the hash"
    )
    ipfs_gateway_url: str | None = Field(
        None, description="an IPFS gateway the page links CIDs to (…/ipfs/<cid>)"
    )
    faucet_enabled: bool = Field(True, description="serve the faucet (only ever on chain 31337)")
    faucet_wei: int = Field(10 * 10**18, gt=0, le=10**21, description="what one faucet call sends")
    faucet_interval_seconds: float = Field(
        600.0, ge=0, description="how long an address waits between two faucet calls"
    )
    faucet_account_index: int = Field(
        9, ge=0, lt=10, description="the anvil dev account the faucet sends from"
    )

    @field_validator("database_url")
    @classmethod
    def _database_kind(cls, url: str | None) -> str | None:
        """PostgreSQL through psycopg 3 whatever driver the URL names (the one installed)."""
        if url is None:
            return None
        scheme, sep, rest = url.partition("://")
        if not sep or scheme.split("+")[0] not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(
                f"database_url {scheme + sep!r}...: the server keeps its index in SQLite "
                "(sqlite:///path.db) or PostgreSQL (postgresql://user:password@host/name)"
            )
        if scheme.startswith("postgres"):
            return f"postgresql+psycopg://{rest}"
        return url

    @model_validator(mode="after")
    def _pinning_service_token(self) -> "MarketplaceSettings":
        if self.pinning_service_url is not None and self.pinning_service_token is None:
            raise ValueError(
                "pinning_service_url is set but pinning_service_token is not: give the access "
                "token of the pinning service account (TILEFARM_SERVER_PINNING_SERVICE_TOKEN)"
            )
        return self

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.state_dir / 'marketplace.db'}"

    @property
    def scratch_dir(self) -> Path:
        return self.state_dir / "scratch"

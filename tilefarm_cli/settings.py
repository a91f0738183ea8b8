"""The settings of the `tilefarm` program: one object, read from `TILEFARM_*` environment
variables; the defaults run the local stack on loopback. No other module reads the environment."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tilefarm.adapters.paths import BUILD_DIR, DEFAULT_STATE_DIR, SOLCX_BINARY_PATH, TOOLS_BIN

Port = int


class TilefarmSettings(BaseSettings):
    """Settings of the local stack and the `tilefarm` CLI."""

    model_config = SettingsConfigDict(env_prefix="TILEFARM_", extra="ignore")

    state_dir: Path = Field(DEFAULT_STATE_DIR, description="devnet state: logs, Kubo repo, pids")
    host: str = Field("127.0.0.1", description="loopback address every service binds to")
    chain_port: Port = Field(8545, ge=1, le=65535, description="anvil HTTP and WebSocket port")
    chain_id: int = Field(31337, ge=1)
    block_time: float | None = Field(None, gt=0, description="seconds per block; None mines per tx")
    ipfs_api_port: Port = Field(5001, ge=1, le=65535)
    ipfs_gateway_port: Port = Field(8080, ge=1, le=65535)
    anvil_bin: Path = TOOLS_BIN / "anvil"
    ipfs_bin: Path = TOOLS_BIN / "ipfs"
    solcx_binary_path: Path = SOLCX_BINARY_PATH
    build_dir: Path = BUILD_DIR
    startup_timeout: float = Field(30.0, gt=0, description="seconds a service may take to answer")

    @property
    def rpc_url(self) -> str:
        return f"http://{self.host}:{self.chain_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.chain_port}"

    @property
    def ipfs_api_url(self) -> str:
        return f"http://{self.host}:{self.ipfs_api_port}"

    @property
    def deployments_dir(self) -> Path:
        return self.state_dir / "deployments"

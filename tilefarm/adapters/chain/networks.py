"""The public networks tilefarm deploys to, read from a Brownie network config file
(`network-config.yaml` at the project root, the format `brownie networks import` takes), so that
`brownie run deploy --network <id>` and `tilefarm deploy --network <id>` agree on every network.

A network's `host` names its RPC through an environment variable (`$TILEFARM_SEPOLIA_RPC_URL`):
RPC URLs often carry an API key, so none is written in the file. Like Brownie, the variable is
expanded when the network is used.
"""

import os
import re
from pathlib import Path

import yaml  # type: ignore[import-untyped]
from pydantic import BaseModel, Field, ValidationError

from tilefarm.adapters.paths import PROJECT_ROOT
from tilefarm.errors import TilefarmError

NETWORK_CONFIG = PROJECT_ROOT / "network-config.yaml"
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


class NetworkError(TilefarmError):
    """A network is unknown, misconfigured or does not answer as configured."""


class Network(BaseModel):
    """One live network of the config file."""

    id: str
    name: str
    chainid: int = Field(gt=0)
    host: str
    explorer: str | None = None

    def rpc_url(self, environ: dict[str, str] | None = None) -> str:
        """`host` with its environment variables expanded; an unset one is named in the error."""
        env = os.environ if environ is None else environ
        missing = [name for name in _VARIABLE.findall(self.host) if not env.get(name)]
        if missing:
            raise NetworkError(
                f"network {self.id} reads its RPC URL from ${missing[0]}, which is not set; "
                f"export {missing[0]}=https://... (an RPC endpoint of chain {self.chainid})"
            )
        return _VARIABLE.sub(lambda m: env[m.group(1)], self.host)


def load_networks(path: Path = NETWORK_CONFIG) -> dict[str, Network]:
    """Every live network of a Brownie network config file, by id."""
    try:
        data = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise NetworkError(f"no network config at {path}") from None
    except yaml.YAMLError as exc:
        raise NetworkError(f"{path} is not valid YAML: {exc}") from None
    networks: dict[str, Network] = {}
    try:
        for chain in (data or {}).get("live", []):
            for entry in chain["networks"]:
                network = Network.model_validate(entry)
                networks[network.id] = network
    except (KeyError, TypeError, ValidationError) as exc:
        raise NetworkError(f"{path} is not a Brownie network config: {exc}") from None
    return networks


def find_network(network_id: str, path: Path = NETWORK_CONFIG) -> Network:
    """The live network `network_id` of the config file."""
    networks = load_networks(path)
    try:
        return networks[network_id]
    except KeyError:
        known = ", ".join(sorted(networks)) or "none"
        raise NetworkError(f"no network {network_id!r} in {path} (known: {known})") from None

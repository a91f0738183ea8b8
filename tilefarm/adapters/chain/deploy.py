"""Deploys the protocol's contracts with web3 from Brownie's build artifacts and records them in a
deployments file per chain id (`<state>/deployments/<chain id>.json`), which the worker, the server
and the auditor read."""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from web3 import Web3

from tilefarm import PROTOCOL_VERSION
from tilefarm.adapters.chain.artifacts import load_artifact
from tilefarm.errors import TilefarmError


class DeployedContract(BaseModel):
    address: str
    block_number: int
    tx_hash: str


class Deployments(BaseModel):
    """The deployments file: which contract lives where on one chain."""

    chain_id: int
    deployer: str
    contracts: dict[str, DeployedContract]
    # Where the verifier draws' randomness comes from on this chain (docs/protocol.md).
    randomness: str = "blockhash"

    def address(self, name: str) -> str:
        try:
            return self.contracts[name].address
        except KeyError:
            raise TilefarmError(
                f"contract {name} is not in the deployments of chain {self.chain_id}"
            ) from None


ArgsFn = Callable[[dict[str, DeployedContract], str], Sequence[Any]]


@dataclass(frozen=True)
class Step:
    """Deploy contract `name` with constructor arguments computed from the earlier steps' contracts
    and the deployer's address."""

    name: str
    args: ArgsFn = lambda _done, _deployer: ()


ETHER = 10**18


def devnet_market_config(treasury: str) -> tuple[Any, ...]:
    """The JobMarket's `MarketConfig` on a devnet (the contract's field order)."""
    return (
        treasury,  # treasury: the deployer collects protocol fees on a devnet
        100,  # protocolFeeBps: 1 % on top of accepted tile prices
        ETHER,  # minStake
        14 * 86_400,  # unstakeDelay: longer than any job, so stakes stay slashable
        1,  # drawDelay: the verifier draw uses the hash of the block after a commit's (public: 5)
        ETHER // 10,  # disputeBond
        5_000,  # fraudSlashBps
        1_000,  # lateSlashBps
        2_500,  # falseAccusationSlashBps: a verifier overruled by its panel
        1_000,  # silenceSlashBps: a drawn verifier that stays silent, paid to the waiting worker
        10_000,  # collateralBps: a seat locks its whole value in stake until it is paid
        10,  # bidBondBps: a bid bond is at least 0.1 % of the job's maximum value
        500,  # drawBountyBps: 5 % of a seat's verifier fee to whoever draws its verifier
    )


def market_plan(config: Callable[[str], tuple[Any, ...]]) -> tuple[Step, ...]:
    """The market's contracts in deployment order, each built with `config(deployer)`: the two
    contracts whose rules the market runs by delegate call, then the market, which checks that
    they were built with its own configuration."""
    return (
        Step("PanelCourt", lambda _done, deployer: (config(deployer),)),
        Step("RoundKeeper", lambda _done, deployer: (config(deployer),)),
        Step(
            "JobMarket",
            lambda done, deployer: (
                config(deployer),
                done["PanelCourt"].address,
                done["RoundKeeper"].address,
            ),
        ),
    )


# The protocol, in deployment order.
PROTOCOL_PLAN: tuple[Step, ...] = (
    Step("HealthCheck", lambda _done, _deployer: (PROTOCOL_VERSION,)),
    *market_plan(devnet_market_config),
)


def deploy(
    w3: Web3, deployer: str, build_dir: Path, plan: Sequence[Step] = PROTOCOL_PLAN
) -> Deployments:
    """Deploy every step of `plan` from `deployer` (an account the node signs for)."""
    done: dict[str, DeployedContract] = {}
    for step in plan:
        artifact = load_artifact(step.name, build_dir)
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        tx_hash = factory.constructor(*step.args(done, deployer)).transact({"from": deployer})
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1 or not receipt["contractAddress"]:
            raise TilefarmError(f"deploying {step.name} reverted (tx {tx_hash.hex()})")
        done[step.name] = DeployedContract(
            address=receipt["contractAddress"],
            block_number=receipt["blockNumber"],
            tx_hash="0x" + tx_hash.hex().removeprefix("0x"),
        )
    return Deployments(chain_id=w3.eth.chain_id, deployer=deployer, contracts=done)


def write_deployments(deployments: Deployments, directory: Path) -> Path:
    """Write `<directory>/<chain id>.json` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{deployments.chain_id}.json"
    path.write_text(json.dumps(deployments.model_dump(), indent=2) + "\n")
    return path


def read_deployments(path: Path) -> Deployments:
    """Read a deployments file written by `write_deployments`."""
    if not path.is_file():
        raise TilefarmError(f"no deployments file at {path}; run `tilefarm devnet up` or deploy")
    return Deployments.model_validate_json(path.read_text())

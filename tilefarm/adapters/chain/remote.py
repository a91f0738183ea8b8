"""Deploying the protocol to a public network (Sepolia, an L2 test network) with a key from an
encrypted keystore, with the market parameters of a real market rather than a devnet's.

The deployer's key is only ever read from an Ethereum v3 keystore (what `brownie accounts new`,
`cast wallet import` and every wallet write) and unlocked with a password; every transaction is
signed locally. A re-run keeps what the deployments file records and the chain still holds, and
deploys only the rest: after each contract the file is rewritten, so a run cut short resumes.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.types import TxParams

from tilefarm.adapters import keystore
from tilefarm.adapters.chain.artifacts import compile_contracts, load_artifact
from tilefarm.adapters.chain.connection import connect_web3
from tilefarm.adapters.chain.deploy import (
    ETHER,
    PROTOCOL_PLAN,
    DeployedContract,
    Deployments,
    Step,
    market_plan,
    read_deployments,
    write_deployments,
)
from tilefarm.adapters.chain.networks import Network
from tilefarm.adapters.chain.records import MarketConfig
from tilefarm.adapters.paths import PROJECT_ROOT, SOLCX_BINARY_PATH
from tilefarm.errors import TilefarmError


class DeployError(TilefarmError):
    """The deployment cannot start or did not go through."""


# Chains whose `blockhash` the market's draws cannot use: Arbitrum documents it as insecure (the
# sequencer sets it) and its `block.number` is L1's. docs/protocol.md, "Randomness".
UNSAFE_BLOCKHASH = {42161: "Arbitrum One", 42170: "Arbitrum Nova", 421614: "Arbitrum Sepolia"}


def check_randomness(chain_id: int) -> str:
    """The randomness source the market uses on chain `chain_id` (named in the deployments
    file); refuses a chain where that source is documented as insecure."""
    if chain_id in UNSAFE_BLOCKHASH:
        raise DeployError(
            f"{UNSAFE_BLOCKHASH[chain_id]} (chain {chain_id}) documents blockhash as insecure and "
            "the market draws its verifiers from block hashes; deploy to Ethereum, Sepolia or an "
            "OP-stack network instead (docs/protocol.md, Randomness)"
        )
    return "blockhash"


def production_market_config(treasury: str) -> MarketConfig:
    """The market parameters of a public deployment (docs/deploy.md explains each)."""
    try:
        checked = Web3.to_checksum_address(treasury)
    except ValueError:
        raise DeployError(f"treasury {treasury!r} is not an address (0x + 40 hex digits)") from None
    return MarketConfig(
        treasury=checked,
        protocol_fee_bps=250,  # 2.5 % on top of accepted tile prices
        min_stake=ETHER // 10,  # 0.1 ETH: enough to slash, little enough for faucet funds
        unstake_delay=30 * 86_400,  # 30 days: longer than any job's render, verify and dispute
        draw_delay=5,  # the draw hashes the block 5 blocks after a commit: unknowable at commit
        dispute_bond=ETHER // 100,  # 0.01 ETH: pays for the panel's time if the appeal is wrong
        fraud_slash_bps=10_000,  # proven fraud loses the seat's collateral and the whole stake
        late_slash_bps=500,  # a missed deadline (or a lapsed draw) costs 5 % of the stake
        false_accusation_slash_bps=5_000,  # a verifier overruled by its panel loses half
        silence_slash_bps=1_000,  # a silent drawn verifier loses 10 % to the waiting worker
        collateral_bps=10_000,  # a seat locks its whole value in stake until it is paid
        bid_bond_bps=100,  # a bid bond is at least 1 % of the job's maximum value
        draw_bounty_bps=500,  # 5 % of a seat's verifier fee to whoever draws its verifier
    )


def production_plan(treasury: str) -> tuple[Step, ...]:
    """`PROTOCOL_PLAN` with the market built from `production_market_config`."""
    config = production_market_config(treasury).as_tuple()
    return (PROTOCOL_PLAN[0], *market_plan(lambda _deployer: config))


def stale_sources(build_dir: Path, project_root: Path = PROJECT_ROOT) -> list[str]:
    """The contract sources (`contracts/**.sol`, relative to `project_root`) whose text is not
    what the build in `build_dir` was compiled from: deploying that build would put other code
    on chain than the sources say."""
    compiled: dict[str, str] = {}
    for artifact in (build_dir / "contracts").glob("*.json"):
        data = json.loads(artifact.read_text())
        if "sourcePath" in data and "source" in data:
            compiled[data["sourcePath"]] = data["source"]
    return [
        relative
        for source in sorted((project_root / "contracts").rglob("*.sol"))
        if compiled.get(relative := str(source.relative_to(project_root))) != source.read_text()
    ]


def ensure_fresh_build(
    build_dir: Path, solcx_binary_path: Path, project_root: Path = PROJECT_ROOT
) -> None:
    """Compile (Brownie, incremental) when the build differs from the sources; refuse to go on
    if it still does."""
    if not stale_sources(build_dir, project_root):
        return
    compile_contracts(solcx_binary_path, project_root)
    if stale := stale_sources(build_dir, project_root):
        raise DeployError(f"the build in {build_dir} still differs from {', '.join(stale)}")


def unlock_keystore(path: Path, password: str) -> LocalAccount:
    """The deployer's key in the keystore at `path`, decrypted with `password`."""
    try:
        return keystore.unlock_keystore(
            path,
            password,
            missing_hint="create one with `brownie accounts new tilefarm-deployer` "
            "(~/.brownie/accounts/tilefarm-deployer.json) or `cast wallet import`",
        )
    except keystore.KeystoreError as exc:
        raise DeployError(str(exc)) from None


def connect_chain(rpc_url: str, chain_id: int, *, timeout: float = 10.0) -> Web3:
    """A Web3 at `rpc_url`, after checking that it answers and serves chain `chain_id`."""
    try:
        answered = requests.post(
            rpc_url,
            json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
            timeout=timeout,
        ).json()
        served = int(answered["result"], 16)
    except requests.RequestException as exc:
        raise DeployError(f"the RPC at {rpc_url} does not answer ({type(exc).__name__})") from None
    except (ValueError, KeyError, TypeError):
        raise DeployError(
            f"the RPC at {rpc_url} gave no chain id; is it an Ethereum node?"
        ) from None
    if served != chain_id:
        raise DeployError(
            f"the RPC at {rpc_url} serves chain {served}, but the network is chain {chain_id}; "
            "point the network's RPC variable at the right chain"
        )
    return connect_web3(rpc_url, timeout=max(timeout, 30.0))


@dataclass(frozen=True)
class StepOutcome:
    """What happened to one step: `deployed` now, or `kept` from an earlier run."""

    name: str
    outcome: str
    contract: DeployedContract


def deploy_signed(
    w3: Web3,
    account: LocalAccount,
    build_dir: Path,
    plan: Sequence[Step],
    out_dir: Path,
    *,
    receipt_timeout: float = 600.0,
    on_step: Callable[[StepOutcome], None] | None = None,
) -> Deployments:
    """Deploy what of `plan` is not yet on chain, signing with `account`, and keep
    `<out_dir>/<chain id>.json` up to date after every contract.

    A step is kept when the deployments file records it and its address holds code; once one step
    is deployed anew, every later step is too (its arguments may name the new contract)."""
    chain_id = int(w3.eth.chain_id)
    deployer = Web3.to_checksum_address(account.address)
    previous = _previous(out_dir / f"{chain_id}.json", chain_id)
    done: dict[str, DeployedContract] = {}
    redeploying = False
    artifacts = {step.name: load_artifact(step.name, build_dir) for step in plan}
    for step in plan:
        recorded = previous.contracts.get(step.name) if previous else None
        if recorded is not None and not redeploying and _has_code(w3, recorded.address):
            done[step.name] = recorded
            if on_step is not None:
                on_step(StepOutcome(step.name, "kept", recorded))
            continue
        redeploying = True
        artifact = artifacts[step.name]
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        tx: TxParams = {
            "from": deployer,
            "nonce": w3.eth.get_transaction_count(deployer, "pending"),
            "chainId": chain_id,
        }
        built = factory.constructor(*step.args(done, deployer)).build_transaction(tx)
        _check_funds(w3, deployer, built, step.name)
        tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(built).raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=receipt_timeout)
        if receipt["status"] != 1 or not receipt["contractAddress"]:
            raise DeployError(f"deploying {step.name} reverted (tx 0x{bytes(tx_hash).hex()})")
        done[step.name] = DeployedContract(
            address=receipt["contractAddress"],
            block_number=receipt["blockNumber"],
            tx_hash="0x" + bytes(tx_hash).hex(),
        )
        write_deployments(
            Deployments(chain_id=chain_id, deployer=deployer, contracts=done), out_dir
        )
        if on_step is not None:
            on_step(StepOutcome(step.name, "deployed", done[step.name]))
    deployments = Deployments(
        chain_id=chain_id,
        deployer=deployer if redeploying or previous is None else previous.deployer,
        contracts=done,
    )
    write_deployments(deployments, out_dir)
    return deployments


def _previous(path: Path, chain_id: int) -> Deployments | None:
    if not path.is_file():
        return None
    try:
        previous = read_deployments(path)
    except ValueError as exc:
        raise DeployError(f"{path} is not a deployments file ({exc}); move it away") from None
    if previous.chain_id != chain_id:
        raise DeployError(f"{path} records chain {previous.chain_id}, not {chain_id}")
    return previous


def _has_code(w3: Web3, address: str) -> bool:
    return len(w3.eth.get_code(Web3.to_checksum_address(address))) > 0


def _check_funds(w3: Web3, deployer: str, tx: dict[str, Any], name: str) -> None:
    price = int(tx.get("maxFeePerGas") or tx.get("gasPrice") or 0)
    needed = int(tx["gas"]) * price
    balance = int(w3.eth.get_balance(Web3.to_checksum_address(deployer)))
    if balance < needed:
        raise DeployError(
            f"the deployer {deployer} holds {balance} wei on chain {w3.eth.chain_id}, but "
            f"deploying {name} may cost up to {needed} wei; fund it (a faucet, on a test network)"
        )


def deploy_to_network(
    network: Network,
    account: LocalAccount,
    build_dir: Path,
    out_dir: Path,
    *,
    treasury: str | None = None,
    on_step: Callable[[StepOutcome], None] | None = None,
    solcx_binary_path: Path = SOLCX_BINARY_PATH,
) -> Deployments:
    """Deploy the protocol with production parameters to `network` (checked to be the chain it
    says) from a build that matches the sources, write `<out_dir>/<chain id>.json`, and return
    the deployments."""
    check_randomness(network.chainid)
    ensure_fresh_build(build_dir, solcx_binary_path)
    w3 = connect_chain(network.rpc_url(), network.chainid)
    plan = production_plan(treasury or account.address)
    return deploy_signed(w3, account, build_dir, plan, out_dir, on_step=on_step)

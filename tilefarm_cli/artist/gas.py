"""What `postJob`'s gas may cost the artist at worst, bounded before it is signed.

The node the transaction goes through suggests its gas limit (`eth_estimateGas`) and its fees
(web3 offers twice the latest base fee plus the node's `eth_maxPriorityFeePerGas`): a hostile
node suggests a huge priority fee, and the mined transaction hands most of the artist's
balance to the block's proposer. A transaction can burn at most its gas limit times its
`maxFeePerGas` (the priority fee is inside it; legacy: its `gasPrice`), so that is what is
compared with `--max-gas-fee` and refused above it, before anything is signed.

The default, 0.01 ETH: postJob takes about 160,000 gas, so it lets postJob offer up to about
60 gwei a gas, which covers a rollup or the devnet many times over (under 0.001 ETH there)
and Ethereum mainnet but at its busiest, while a node overcharging can take no more than
ten tiles at the default maximum price.

Pure: the built transaction in, its bound or a refusal out.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from tilefarm_cli.artist.errors import TransactionRefused
from tilefarm_cli.artist.job_params import eth_text

DEFAULT_MAX_GAS_FEE = "0.01"  # ETH; see above
GWEI = 10**9


class GasBound(BaseModel):
    """The most a built transaction's gas can cost, and the artist's cap on it (wei)."""

    gas_limit: int
    max_fee_per_gas_wei: int
    max_priority_fee_per_gas_wei: int | None  # None: a legacy transaction (gasPrice)
    max_gas_fee_wei: int  # the cap: --max-gas-fee

    @property
    def max_gas_cost_wei(self) -> int:
        """Gas limit times max fee per gas: what the transaction burns at worst."""
        return self.gas_limit * self.max_fee_per_gas_wei

    def fields(self) -> dict[str, int | None]:
        """As `--json` prints it."""
        return {**self.model_dump(), "max_gas_cost_wei": self.max_gas_cost_wei}

    def text(self) -> str:
        """In words, for the line said before signing."""
        tip = self.max_priority_fee_per_gas_wei
        of_it = "" if tip is None else f", {gwei_text(tip)} of it priority fee"
        return (
            f"gas of at most {eth_text(self.max_gas_cost_wei)} ({self.gas_limit} gas at up to "
            f"{gwei_text(self.max_fee_per_gas_wei)} a gas{of_it}; --max-gas-fee "
            f"{eth_text(self.max_gas_fee_wei)})"
        )


def gwei_text(wei: int) -> str:
    """`wei` in gwei, exact, without trailing zeros: `2.4154 gwei`."""
    return f"{(Decimal(wei) / GWEI).normalize():f} gwei"


def _wei(tx: Mapping[str, Any], key: str) -> int | None:
    value = tx.get(key)
    if value is None:
        return None
    return int(value, 16) if isinstance(value, str) else int(value)


def gas_bound(tx: Mapping[str, Any], cap_wei: int) -> GasBound:
    """The worst-case gas cost of the built transaction `tx` under the cap `cap_wei`; a
    transaction that names no gas limit or fee cannot be bounded and is refused."""
    gas, max_fee = _wei(tx, "gas"), _wei(tx, "maxFeePerGas")
    tip = _wei(tx, "maxPriorityFeePerGas") if max_fee is not None else None
    if max_fee is None:
        max_fee = _wei(tx, "gasPrice")
    if gas is None or max_fee is None:
        raise TransactionRefused(
            "the postJob transaction built from the node's answers names no gas limit or fee "
            "per gas, so what it may cost cannot be bounded: nothing was signed; pass --rpc-url "
            "with another node"
        )
    return GasBound(
        gas_limit=gas, max_fee_per_gas_wei=max_fee, max_priority_fee_per_gas_wei=tip,
        max_gas_fee_wei=cap_wei,
    )  # fmt: skip


def check_gas(bound: GasBound, rpc_url: str) -> None:
    """Refuse (`TransactionRefused`) a transaction whose gas may cost more than the cap."""
    if bound.max_gas_cost_wei <= bound.max_gas_fee_wei:
        return
    tip = bound.max_priority_fee_per_gas_wei
    suggested = "" if tip is None else f", {gwei_text(tip)} of it the priority fee"
    raise TransactionRefused(
        f"postJob's gas could cost up to {eth_text(bound.max_gas_cost_wei)} "
        f"({bound.gas_limit} gas at up to {gwei_text(bound.max_fee_per_gas_wei)} a gas"
        f"{suggested}, as the node at {rpc_url} suggests), more than your --max-gas-fee of "
        f"{eth_text(bound.max_gas_fee_wei)}: nothing was signed. If the chain is that busy, "
        "wait or raise --max-gas-fee; a fee far above the chain's usual may be a node "
        "overcharging you: pass --rpc-url with another node"
    )

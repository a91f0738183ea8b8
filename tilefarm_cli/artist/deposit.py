"""What a job may cost the artist, computed here by the protocol's own arithmetic, so that the
deposit a market's `quote` asks is never taken on the server's word.

`postJob` takes exactly `tileCount * (maxPricePerTile + fee(maxPricePerTile) +
verifyFeePerTile)`, where `fee(q) = q * protocolFeeBps / 10_000` per tile, rounded down (the
contract's `_quote`): the job's whole maximum, paid into escrow; what the winning bids leave
unused comes back. Bidders lock their own bid bonds and collateral: none of that is the
artist's deposit. The fee rate is the market's, read from its `config()`; the artist bounds it
(`--max-protocol-fee`), since a market can be deployed with any rate up to 100 %.

Pure: numbers in, a refusal or the deposit out."""

from decimal import Decimal, InvalidOperation

from tilefarm.adapters.chain.events import JobParams
from tilefarm_cli.artist.errors import MarketRefused
from tilefarm_cli.artist.job_params import BadChoice, eth_text

BPS = 10_000  # the contract's basis points
DEFAULT_MAX_PROTOCOL_FEE = "5"  # percent: the devnet takes 1 %, a public deployment 2.5 %


def parse_percent(text: str, option: str) -> int:
    """A percentage written in decimal (`2.5`, `2.5%`), in basis points; 0 to 100."""
    try:
        percent = Decimal(text.strip().removesuffix("%"))
    except InvalidOperation:
        percent = Decimal("NaN")
    bps = percent * 100
    if not percent.is_finite() or not 0 <= percent <= 100 or bps != bps.to_integral_value():
        raise BadChoice(
            f"{option} {text!r}: write a percentage from 0 to 100 like 2.5 (at most 2 decimals)"
        )
    return int(bps)


def deposit_bound(tile_count: int, max_price: int, verify_fee: int, fee_bps: int) -> int:
    """The most a job of `tile_count` tiles at `max_price` (plus `verify_fee`) per tile can
    cost at a protocol fee of `fee_bps`: what the contract's `_quote` computes."""
    return tile_count * (max_price + max_price * fee_bps // BPS + verify_fee)


def check_fee(fee_bps: int, max_fee_bps: int) -> None:
    """Refuse a market whose protocol fee is above what the artist accepts."""
    if fee_bps > max_fee_bps:
        raise MarketRefused(
            f"the market takes a protocol fee of {fee_bps / 100:g} % on top of each tile's "
            f"price, more than the {max_fee_bps / 100:g} % you accept (--max-protocol-fee); "
            "nothing was signed: raise --max-protocol-fee if you accept it"
        )


def checked_deposit(quote: int, params: JobParams, fee_bps: int, max_fee_bps: int) -> int:
    """The market's `quote` for the job, once it is found no more than the job can cost at the
    market's fee, and that fee no more than the artist accepts; else `MarketRefused`."""
    check_fee(fee_bps, max_fee_bps)
    bound = deposit_bound(
        params.tile_count, params.max_price_per_tile, params.verify_fee_per_tile, fee_bps
    )
    if quote > bound:
        raise MarketRefused(
            f"the market asks a deposit of {eth_text(quote)} for {params.tile_count} tiles, but "
            f"they can cost at most {eth_text(bound)} ({params.tile_count} x "
            f"({eth_text(params.max_price_per_tile)} + {fee_bps / 100:g} % fee + "
            f"{eth_text(params.verify_fee_per_tile)} to verifiers)): this is not the protocol's "
            "arithmetic; nothing was signed. Do not post through this server"
        )
    return quote

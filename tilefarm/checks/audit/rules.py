"""The contract's money formulas the audit recomputes, each named after the function it mirrors
(`contracts/market/`): fees, bounties, quotes. Pure arithmetic."""

BPS = 10_000
MAX_VERIFIER_ROUNDS = 3  # the contract's constant


def fee_per_tile(price: int, bps: int) -> int:
    """The contract's `_feePerTile`."""
    return price * bps // BPS


def quote(tiles: int, max_price_per_tile: int, verify_fee_per_tile: int, fee_bps: int) -> int:
    """The contract's `_quote`: what `tiles` hold in escrow at `max_price_per_tile`, with the
    protocol fee and the verifier fee."""
    return tiles * (
        max_price_per_tile + fee_per_tile(max_price_per_tile, fee_bps) + verify_fee_per_tile
    )


def kept(tiles: int, price: int, verify_fee_per_tile: int, fee_bps: int) -> int:
    """What a winner's seat is owed out of the reserve at settlement (`_assign`)."""
    return tiles * (price + fee_per_tile(price, fee_bps) + verify_fee_per_tile)


def draw_bounty(tiles: int, verify_fee_per_tile: int, bounty_bps: int) -> int:
    """The contract's `_drawBounty`: what each round's `drawVerifier` pays its caller."""
    return tiles * verify_fee_per_tile * bounty_bps // BPS


def reoffer_bounty(tiles: int, verify_fee_per_tile: int, bounty_bps: int) -> int:
    """`reoffer`'s bounty for opening a round: `drawBountyBps` of its tiles' verifier fees."""
    return tiles * verify_fee_per_tile * bounty_bps // BPS


def verifier_fee(tiles: int, verify_fee_per_tile: int, bounty_bps: int, round_: int) -> int:
    """The contract's `_verifierFee`: the seat's fee less the bounty of each round's draw."""
    bounty = draw_bounty(tiles, verify_fee_per_tile, bounty_bps)
    return tiles * verify_fee_per_tile - bounty * (round_ + 1)


def returned(
    tiles: int,
    price: int,
    verify_fee_per_tile: int,
    fee_bps: int,
    bounty_bps: int,
    round_: int,
    verifier_paid: bool,
) -> int:
    """The contract's `_returnTiles`: what a seat that delivers nothing gives back to the
    reserve: price and fee, and its verifier fee (every round's bounty counted as paid) unless a
    rejection paid it to the failing verifier."""
    back = tiles * (price + fee_per_tile(price, fee_bps))
    if not verifier_paid:
        back += verifier_fee(tiles, verify_fee_per_tile, bounty_bps, round_)
    return back


def fee_out_of(slashed: int, dispute_bond: int) -> int:
    """The contract's `_feeOutOf`: the panel's fee out of a loser's slash."""
    return min(slashed, dispute_bond)


def pay_fraud(owed: dict[str, int], amount: int, honest: list[str]) -> int:
    """The contract's `_payFraud`: half to the honest verifiers (added to `owed`); returns the
    rest (with the rounding dust), which goes into the job's reserve."""
    if honest:
        share = (amount // 2) // len(honest)
        for who in honest:
            owed[who] += share
        amount -= share * len(honest)
    return amount

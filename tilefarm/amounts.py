"""Amounts of ETH and durations as people write and read them: the artist's `tilefarm submit`
and the operator's `render-worker stake` and `unstake` read, and say, the same way.

An amount is read exactly, as a decimal (never through a float): `0.1` ETH is 10**17 wei, and
what does not come to whole wei is refused rather than rounded."""

from decimal import Decimal, InvalidOperation, localcontext

from tilefarm.errors import TilefarmError

ETHER = 10**18
UINT256_LIMIT = 2**256  # no amount the contracts take reaches it


class AmountError(TilefarmError):
    """Text that is not an amount of ETH; the message quotes it and says what is accepted."""


def parse_eth(text: str, *, zero_allowed: bool = False) -> int:
    """`text`, a decimal amount of ETH (`0.001`, at most 18 decimals), in wei. Raises
    `AmountError` for anything else: a word, a negative amount, less than one wei, NaN,
    infinity, more than a uint256 holds, and 0 unless `zero_allowed`."""
    try:
        amount = Decimal(text.strip())
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or amount < 0:
        raise AmountError(
            f"{text!r} is not an amount of ETH: write a decimal like 0.001 (at most 18 decimals)"
        )
    if amount >= UINT256_LIMIT:  # in ETH: compared before scaling, which could overflow
        raise AmountError(f"{text!r} is more ETH than a contract can hold")
    fraction = amount and amount.adjusted() < -18  # below one wei: not scaled, which underflows
    # Exact whatever the digits: the default context would round past its 28.
    with localcontext(prec=max(28, len(amount.as_tuple().digits))):
        wei = amount.scaleb(18)
    if fraction or wei != wei.to_integral_value():
        raise AmountError(
            f"{text!r} is not an amount of ETH: it has more than 18 decimals (1 wei is "
            "0.000000000000000001 ETH)"
        )
    if wei >= UINT256_LIMIT:
        raise AmountError(f"{text!r} is more ETH than a contract can hold")
    if wei == 0 and not zero_allowed:
        raise AmountError(f"{text!r}: the amount must be more than 0 ETH")
    return int(wei)


def eth_text(wei: int) -> str:
    """`wei` in ETH for people, exact and without trailing zeros: `0.001 ETH`, `2 ETH`."""
    sign = "-" if wei < 0 else ""
    whole, fraction = divmod(abs(wei), ETHER)
    decimals = f"{fraction:018d}".rstrip("0")
    return f"{sign}{whole}{'.' + decimals if decimals else ''} ETH"


def duration_text(seconds: float) -> str:
    """A duration for people, to the second under ten minutes, else to the minute, and in days
    and hours from a day on: `45 s`, `5 min 3 s`, `12 min`, `3 h 5 min`, `14 days`,
    `3 days 2 h`. A negative duration is `0 s`."""
    total = max(0, round(seconds))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        day_text = f"{days} day{'s' if days != 1 else ''}"
        return f"{day_text} {hours} h" if hours else day_text
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min {secs} s" if secs and minutes < 10 else f"{minutes} min"
    return f"{secs} s"

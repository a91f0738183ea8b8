"""Amounts of ETH are read exactly, to the wei, and anything that is not one is refused saying
so; amounts and durations are said the way people read them."""

import pytest

from tilefarm.amounts import AmountError, duration_text, eth_text, parse_eth


@pytest.mark.parametrize(
    ("text", "wei"),
    [
        ("0.5", 5 * 10**17),
        (" 2 ", 2 * 10**18),
        ("0.000000000000000001", 1),
        ("1e-18", 1),
        ("1E+3", 10**21),
        # 31 digits: read exactly, where a float or Decimal's default 28 digits would round.
        ("1000000000000.000000000000000001", 10**30 + 1),
    ],
)
def test_a_decimal_amount_of_eth_is_read_to_the_wei(text: str, wei: int) -> None:
    assert parse_eth(text) == wei


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("0", "must be more than 0 ETH"),
        ("-0", "must be more than 0 ETH"),
        ("-1", "is not an amount of ETH"),
        ("1e-19", "more than 18 decimals"),
        ("0.0000000000000000001", "more than 18 decimals"),
        ("1.0000000000000000001", "more than 18 decimals"),
        ("1e-99999999999", "more than 18 decimals"),
        ("NaN", "is not an amount of ETH"),
        ("sNaN", "is not an amount of ETH"),
        ("Infinity", "is not an amount of ETH"),
        ("-Infinity", "is not an amount of ETH"),
        ("half", "is not an amount of ETH"),
        ("", "is not an amount of ETH"),
        ("1e99999999999", "more ETH than a contract can hold"),
    ],
)
def test_what_is_not_an_amount_of_eth_is_refused_quoting_it(text: str, says: str) -> None:
    with pytest.raises(AmountError, match=says) as refused:
        parse_eth(text)
    assert repr(text) in str(refused.value)


def test_zero_is_an_amount_only_where_allowed() -> None:
    assert parse_eth("0", zero_allowed=True) == 0
    assert parse_eth("0.000", zero_allowed=True) == 0


@pytest.mark.parametrize(
    ("wei", "text"),
    [
        (0, "0 ETH"),
        (1, "0.000000000000000001 ETH"),
        (10**15, "0.001 ETH"),
        (5 * 10**17, "0.5 ETH"),
        (10**18, "1 ETH"),
        (10**19, "10 ETH"),
        (10**30 + 1, "1000000000000.000000000000000001 ETH"),
    ],
)
def test_wei_are_said_in_eth_exactly_without_trailing_zeros(wei: int, text: str) -> None:
    assert eth_text(wei) == text
    assert parse_eth(text.removesuffix(" ETH"), zero_allowed=True) == wei


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "0 s"),
        (0, "0 s"),
        (45, "45 s"),
        (59.6, "1 min"),
        (303, "5 min 3 s"),
        (600, "10 min"),
        (725, "12 min"),  # from ten minutes on, to the minute
        (3_600, "1 h"),
        (3 * 3_600 + 5 * 60 + 30, "3 h 5 min"),
        (86_400, "1 day"),
        (14 * 86_400, "14 days"),
        (3 * 86_400 + 2 * 3_600 + 59 * 60, "3 days 2 h"),  # from a day on, to the hour
    ],
)
def test_durations_are_said_as_people_say_them(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text

"""The verification game, construction (docs/protocol.md, "Constructor checks"). Finding 11: the old
market deployed with impossible parameters (a slash above 100 %, no treasury, no minimum stake, a
draw in the commitment's own block); each is now refused with `InvalidConfig(name, value)`. Finding
9: collateral below a seat's value (collateralBps < 10000) would let a fraud, or a sealed bid left
unrevealed, cost less than it can gain: refused too."""

import pytest
from brownie import JobMarket, reverts
from helpers import ZERO_ADDRESS, err, market_config

IMPOSSIBLE = [
    ("treasury", ZERO_ADDRESS, 0),
    ("minStake", 0, 0),
    ("unstakeDelay", 0, 0),
    ("drawDelay", 0, 0),
    ("protocolFeeBps", 10_001, 10_001),
    ("fraudSlashBps", 10_001, 10_001),
    ("lateSlashBps", 10_001, 10_001),
    ("falseAccusationSlashBps", 10_001, 10_001),
    ("silenceSlashBps", 10_001, 10_001),
    ("bidBondBps", 10_001, 10_001),
    # three rounds of bounties must fit in one verifier fee
    ("drawBountyBps", 3_334, 3_334),
    # collateral is at least the seat's value
    ("collateralBps", 9_999, 9_999),
    ("collateralBps", 0, 0),
]


@pytest.mark.parametrize(
    "name,value,reported", IMPOSSIBLE, ids=[f"{c[0]}={c[1]}" for c in IMPOSSIBLE]
)
def test_finding_11_an_impossible_parameter_is_refused_at_construction(
    deployer, treasury, name, value, reported
):
    cfg = market_config(value) if name == "treasury" else market_config(treasury, **{name: value})
    with reverts(err("InvalidConfig", name, reported)):
        JobMarket.deploy(cfg, {"from": deployer})


def test_finding_11_the_extreme_possible_parameters_are_accepted(deployer, treasury):
    extremes = {
        f: 10_000
        for f in ("protocolFeeBps", "fraudSlashBps", "lateSlashBps", "falseAccusationSlashBps",
                  "silenceSlashBps", "bidBondBps")
    }  # fmt: skip
    # collateralBps has no cap but its type's (6.5x); its least is 1x, a seat's whole value.
    for collateral_bps in (10_000, 2**16 - 1):
        cfg = market_config(treasury, drawBountyBps=3_333, collateralBps=collateral_bps, **extremes)
        market = JobMarket.deploy(cfg, {"from": deployer})
        assert market.config()["drawBountyBps"] == 3_333
        assert market.config()["collateralBps"] == collateral_bps

"""The verification game, construction (docs/protocol.md, "Constructor checks"). Finding 11: the old
market deployed with impossible parameters (a slash above 100 %, no treasury, no minimum stake, a
draw in the commitment's own block); each is now refused with `InvalidConfig(name, value)`."""

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
]


@pytest.mark.parametrize("name,value,reported", IMPOSSIBLE, ids=[c[0] for c in IMPOSSIBLE])
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
    # collateralBps is a uint16: its 10x cap in the constructor is above anything it can hold.
    cfg = market_config(treasury, drawBountyBps=3_333, collateralBps=2**16 - 1, **extremes)
    market = JobMarket.deploy(cfg, {"from": deployer})
    assert market.config()["drawBountyBps"] == 3_333

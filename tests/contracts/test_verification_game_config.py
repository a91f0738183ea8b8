"""The verification game, construction (docs/protocol.md, "Constructor checks"). Finding 11: the old
market deployed with impossible parameters (a slash above 100 %, no treasury, no minimum stake, a
draw in the commitment's own block); each is now refused with `InvalidConfig(name, value)`. Finding
9: collateral below a seat's value (collateralBps < 10000) would let a fraud, or a sealed bid left
unrevealed, cost less than it can gain: refused too."""

import pytest
from brownie import JobMarket, PanelCourt, RoundKeeper, reverts
from helpers import ZERO_ADDRESS, deploy_market, err, market_config

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
        deploy_market(cfg, deployer)


def test_finding_11_the_extreme_possible_parameters_are_accepted(deployer, treasury):
    extremes = {
        f: 10_000
        for f in ("protocolFeeBps", "fraudSlashBps", "lateSlashBps", "falseAccusationSlashBps",
                  "silenceSlashBps", "bidBondBps")
    }  # fmt: skip
    # collateralBps has no cap but its type's (6.5x); its least is 1x, a seat's whole value.
    for collateral_bps in (10_000, 2**16 - 1):
        cfg = market_config(treasury, drawBountyBps=3_333, collateralBps=collateral_bps, **extremes)
        market = deploy_market(cfg, deployer)
        assert market.config()["drawBountyBps"] == 3_333
        assert market.config()["collateralBps"] == collateral_bps


def test_the_market_refuses_rules_built_with_other_parameters_or_no_code(
    deployer, treasury, stranger
):
    """The market runs its disputes and rounds by delegate call on its own storage: contracts
    built with another fee or slash, or an address without code, would run other rules."""
    cfg = market_config(treasury)
    court = PanelCourt.deploy(cfg, {"from": deployer})
    keeper = RoundKeeper.deploy(cfg, {"from": deployer})
    other = market_config(treasury, fraudSlashBps=1)
    with reverts(err("InvalidConfig", "panelCourt", int(stranger.address, 16))):
        JobMarket.deploy(cfg, stranger, keeper, {"from": deployer})
    foreign_keeper = RoundKeeper.deploy(other, {"from": deployer})
    with reverts(err("InvalidConfig", "roundKeeper", int(foreign_keeper.address, 16))):
        JobMarket.deploy(cfg, court, foreign_keeper, {"from": deployer})
    market = JobMarket.deploy(cfg, court, keeper, {"from": deployer})
    assert (market.panelCourt(), market.roundKeeper()) == (court.address, keeper.address)

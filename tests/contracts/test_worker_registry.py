"""Staking, unstaking with a delay, eligibility and the verifier pool."""

import brownie
from helpers import MIN_STAKE, UNSTAKE_DELAY, advance, err


def test_first_stake_enters_the_verifier_pool_once(market, worker):
    tx = market.stake({"from": worker, "value": MIN_STAKE})
    market.stake({"from": worker, "value": 5})
    assert tx.events["Staked"]["totalStake"] == MIN_STAKE
    assert market.poolSize() == 1
    assert market.poolMember(1) == worker
    assert market.account(worker)["stake"] == MIN_STAKE + 5
    assert market.isEligible(worker)


def test_stake_below_minimum_is_refused(market, worker):
    with brownie.reverts(err("StakeBelowMinimum", worker, MIN_STAKE - 1, MIN_STAKE)):
        market.stake({"from": worker, "value": MIN_STAKE - 1})


def test_zero_stake_is_refused(market, worker):
    with brownie.reverts(err("ZeroStake")):
        market.stake({"from": worker, "value": 0})


def test_unstaked_eth_is_locked_for_the_delay_then_withdrawable(market, worker):
    market.stake({"from": worker, "value": 2 * MIN_STAKE})
    tx = market.requestUnstake(MIN_STAKE + 1, {"from": worker})
    unlock_at = tx.events["UnstakeRequested"]["unlockAt"]
    assert not market.isEligible(worker)  # below the minimum now
    with brownie.reverts(err("StakeLocked", worker, unlock_at)):
        market.withdrawStake({"from": worker})
    advance(UNSTAKE_DELAY + 1)
    before = worker.balance()
    tx = market.withdrawStake({"from": worker})
    assert tx.events["StakeWithdrawn"]["amount"] == MIN_STAKE + 1
    assert worker.balance() == before + MIN_STAKE + 1
    assert market.account(worker)["unstaking"] == 0


def test_unstaking_more_than_staked_is_refused(market, worker):
    market.stake({"from": worker, "value": MIN_STAKE})
    with brownie.reverts(err("UnstakeExceedsStake", worker, MIN_STAKE + 1, MIN_STAKE)):
        market.requestUnstake(MIN_STAKE + 1, {"from": worker})
    with brownie.reverts(err("UnstakeExceedsStake", worker, 0, MIN_STAKE)):
        market.requestUnstake(0, {"from": worker})


def test_withdrawing_stake_without_unstaking_is_refused(market, worker):
    with brownie.reverts(err("NothingToWithdraw", worker)):
        market.withdrawStake({"from": worker})


def test_there_is_no_way_to_slash_from_outside_the_market(market):
    assert not any(
        "slash" in item.get("name", "").lower() for item in market.abi if item["type"] == "function"
    )

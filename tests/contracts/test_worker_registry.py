"""Staking, unstaking with a delay, permanent account ids and the compact verifier pool."""

import brownie
from helpers import MIN_STAKE, UNSTAKE_DELAY, advance, eligible, err


def test_first_stake_gives_a_permanent_id_and_enters_the_verifier_pool_once(market, worker):
    tx = market.stake({"from": worker, "value": MIN_STAKE})
    market.stake({"from": worker, "value": 5})
    assert tx.events["Staked"]["totalStake"] == MIN_STAKE
    assert market.poolSize() == 1
    account = market.account(worker)
    assert account["accountId"] == 1 and account["poolIndex"] == 1
    assert market.accountById(1) == worker
    assert account["stake"] == MIN_STAKE + 5
    assert eligible(market, worker)


def test_an_account_keeps_its_id_when_it_leaves_and_rejoins_the_pool(market, worker, verifier):
    market.stake({"from": worker, "value": MIN_STAKE})
    market.stake({"from": verifier, "value": MIN_STAKE})
    market.requestUnstake(1, {"from": worker})
    assert market.poolSize() == 1 and market.account(worker)["poolIndex"] == 0
    assert market.account(verifier)["poolIndex"] == 1  # moved into the freed position
    market.stake({"from": worker, "value": 1})
    account = market.account(worker)
    assert account["accountId"] == 1 and account["poolIndex"] == 2
    assert market.accountById(2) == verifier and market.accountById(3) == "0x" + "00" * 20


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
    assert not eligible(market, worker)  # below the minimum now, so out of the pool
    assert market.poolSize() == 0 and market.account(worker)["poolIndex"] == 0
    with brownie.reverts(err("StakeLocked", worker, unlock_at)):
        market.withdrawStake({"from": worker})
    advance(UNSTAKE_DELAY + 1)
    before = worker.balance()
    tx = market.withdrawStake({"from": worker})
    assert tx.events["StakeWithdrawn"]["amount"] == MIN_STAKE + 1
    assert worker.balance() == before + MIN_STAKE + 1
    assert market.account(worker)["unstaking"] == 0


def test_unstaking_more_than_the_free_stake_is_refused(market, worker):
    market.stake({"from": worker, "value": MIN_STAKE})
    with brownie.reverts(err("UnstakeExceedsFreeStake", worker, MIN_STAKE + 1, MIN_STAKE, 0)):
        market.requestUnstake(MIN_STAKE + 1, {"from": worker})
    with brownie.reverts(err("UnstakeExceedsFreeStake", worker, 0, MIN_STAKE, 0)):
        market.requestUnstake(0, {"from": worker})


def test_withdrawing_stake_without_unstaking_is_refused(market, worker):
    with brownie.reverts(err("NothingToWithdraw", worker)):
        market.withdrawStake({"from": worker})


def test_there_is_no_way_to_slash_from_outside_the_market(market):
    assert not any(
        "slash" in item.get("name", "").lower() for item in market.abi if item["type"] == "function"
    )

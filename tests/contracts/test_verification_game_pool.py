"""The verification game, the verifier pool and locked stake (docs/protocol.md, "Accounts and the
verifier pool"): each test replays one finding of the security review against the new rules.

Finding 2, the pool: it holds exactly the eligible accounts, so no account can sit behind empty
slots, and nobody unstaked is ever drawn. Finding 5, stake leaving: collateral of bids and seats
cannot be unstaked, and a drawn verifier cannot withdraw while its duty is open.
"""

import brownie
from helpers import (
    BID_WINDOW,
    FAILED,
    MIN_STAKE,
    REVEAL_WINDOW,
    UNSTAKE_DELAY,
    VERIFY_WINDOW,
    Bid,
    advance,
    attest,
    collateral,
    commit,
    commit_results,
    crowd,
    draw,
    eligible,
    err,
    fraud_slash,
    post,
    ready_for_draw,
    reveal,
    run_auction,
    seal_and_reveal,
    stake_all,
)


def test_finding_2_staking_and_unstaking_leaves_no_empty_pool_slots(market):
    people = crowd(31, "pool")
    stake_all(market, *people)
    leaving = people[1::3] + people[2::3][::-1]  # from everywhere in the pool, in no order
    for who in leaving:
        market.requestUnstake(1, {"from": who})
    staying = people[0::3]
    assert market.poolSize() == len(staying) == sum(eligible(market, p) for p in people)
    assert sorted(market.account(p)["poolIndex"] for p in staying) == list(
        range(1, len(staying) + 1)
    )
    assert all(market.account(p)["poolIndex"] == 0 for p in leaving)
    # Topping the stake up again rejoins at the end; the id never changes.
    account_id = market.account(leaving[0])["accountId"]
    market.stake({"from": leaving[0], "value": 1})
    rejoined = market.account(leaving[0])
    assert rejoined["poolIndex"] == len(staying) + 1 and rejoined["accountId"] == account_id
    assert market.poolSize() == len(staying) + 1


def test_finding_2_an_unstaked_account_is_never_drawn(
    market, artist, worker, verifier, rival, spare
):
    people = crowd(16, "pool")
    stake_all(market, *people, amount=5 * MIN_STAKE)  # rich enough to stay silent three times
    gone = set()
    for who in people[:12]:  # most of the pool leaves
        market.requestUnstake(4 * MIN_STAKE + 1, {"from": who})  # just below the minimum
        gone.add(who.address)
    workers = [worker, verifier, rival, spare]
    stake_all(market, *workers)
    job_id = run_auction(market, artist, [Bid(w, 100 + i, 4) for i, w in enumerate(workers)])
    for w in workers:
        commit_results(market, job_id, w)
    drawn = []
    for _ in range(3):  # every seat, every round: twelve draws
        ready_for_draw()
        for w in workers:
            verifier_drawn = draw(market, job_id, w, artist)
            assert eligible(market, verifier_drawn) and verifier_drawn not in (w, artist)
            drawn.append(verifier_drawn.address)
        advance(VERIFY_WINDOW + 1)
        for w in workers:
            market.replaceVerifier(job_id, w, {"from": artist})
    assert len(drawn) == 12 and not gone & set(drawn)


def test_finding_2_an_account_slashed_below_the_minimum_leaves_the_pool(
    staked, artist, worker, stranger
):
    job_id = run_auction(staked, artist, [Bid(worker, 400, 16)])
    commit_results(staked, job_id, worker)
    attest(staked, job_id, worker, False, stranger)
    advance(VERIFY_WINDOW + 1)
    assert staked.poolSize() == 2
    staked.finalizeRejection(job_id, worker, {"from": stranger})
    assert not eligible(staked, worker)
    assert staked.poolSize() == 1 and staked.account(worker)["poolIndex"] == 0
    next_job = post(staked, artist)
    account = staked.account(worker)
    with brownie.reverts(err("NotStaked", worker, account["stake"], MIN_STAKE)):
        commit(staked, next_job, Bid(worker, 400, 16))


def test_finding_2_no_eligible_verifier_only_when_nobody_but_the_parties_is_staked(
    market, artist, worker, stranger
):
    stake_all(market, worker, artist)
    job_id = run_auction(market, artist, [Bid(worker, 400, 16)])
    commit_results(market, job_id, worker)
    ready_for_draw()
    with brownie.reverts(err("NoEligibleVerifier", job_id, worker)):
        market.drawVerifier(job_id, worker, {"from": stranger})
    stake_all(market, stranger)  # one more account, placed after both excluded parties
    assert draw(market, job_id, worker, stranger) == stranger


def test_finding_5_a_winner_cannot_unstake_its_locked_collateral(staked, artist, worker, stranger):
    price = 10**16
    job_id = post(staked, artist, max_price=price)
    bid = Bid(worker, price, 16)
    commit(staked, job_id, bid)
    locked = collateral(16, price)
    assert staked.account(worker)["locked"] == locked  # locked from the commit on (at the max)
    advance(BID_WINDOW + 1)
    reveal(staked, job_id, bid)
    assert staked.account(worker)["locked"] == locked  # the bid's price is the maximum
    advance(REVEAL_WINDOW + 1)
    staked.settle(job_id, [worker], {"from": artist})
    free = MIN_STAKE - locked
    with brownie.reverts(err("UnstakeExceedsFreeStake", worker, free + 1, MIN_STAKE, locked)):
        staked.requestUnstake(free + 1, {"from": worker})
    staked.requestUnstake(free, {"from": worker})  # everything else may go
    assert staked.account(worker)["stake"] == locked
    # The worker cheats and is caught: the collateral is still there to take, and so is the
    # unstaking rest, which stays slashable until withdrawn.
    commit_results(staked, job_id, worker)
    attest(staked, job_id, worker, False, stranger)
    advance(VERIFY_WINDOW + 1)
    tx = staked.finalizeRejection(job_id, worker, {"from": stranger})
    assert tx.events["ResultsRejected"]["slashed"] == fraud_slash(MIN_STAKE, locked)
    account = staked.account(worker)
    assert account["stake"] == 0 and account["locked"] == 0
    assert account["unstaking"] == MIN_STAKE - fraud_slash(MIN_STAKE, locked)


def test_finding_5_a_drawn_verifier_cannot_withdraw_while_its_duty_is_open(
    market, artist, worker, verifier, stranger
):
    stake_all(market, worker)
    stake_all(market, verifier, amount=2 * MIN_STAKE)
    market.requestUnstake(MIN_STAKE, {"from": verifier})  # still eligible with the rest
    advance(UNSTAKE_DELAY + 1)
    job_id = run_auction(market, artist, [Bid(worker, 400, 16)])
    commit_results(market, job_id, worker)
    ready_for_draw()
    assert draw(market, job_id, worker, stranger) == verifier
    with brownie.reverts(err("DutiesOpen", verifier, 1)):
        market.withdrawStake({"from": verifier})
    # A pass is not final while the artist may contest it: the duty stays open.
    seal_and_reveal(market, job_id, worker, verifier)
    market.attest(job_id, worker, True, "bafy-evidence", {"from": verifier})
    with brownie.reverts(err("DutiesOpen", verifier, 1)):
        market.withdrawStake({"from": verifier})
    advance(VERIFY_WINDOW + 1)
    market.release(job_id, worker, {"from": stranger})
    assert market.account(verifier)["duties"] == 0
    tx = market.withdrawStake({"from": verifier})
    assert tx.events["StakeWithdrawn"]["amount"] == MIN_STAKE


def test_finding_5_a_failing_verifier_is_free_once_the_rejection_is_final(
    staked, artist, worker, verifier, stranger
):
    job_id = run_auction(staked, artist, [Bid(worker, 400, 16)])
    commit_results(staked, job_id, worker)
    attest(staked, job_id, worker, False, stranger)
    assert staked.seat(job_id, worker)["state"] == FAILED
    assert staked.account(verifier)["duties"] == 1  # the worker may still appeal
    advance(VERIFY_WINDOW + 1)
    staked.finalizeRejection(job_id, worker, {"from": stranger})
    assert staked.account(verifier)["duties"] == 0

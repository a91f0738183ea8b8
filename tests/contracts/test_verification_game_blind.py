"""The verification game, blind verification (docs/protocol.md, steps 6 to 10 and "Disputes"): the
worker commits only its Merkle root; the drawn verifier seals its re-rendered evidence before it has
seen a tile; the worker then reveals its results list; the verifier attests with the evidence it
sealed. A worker that hides its results after the seal is rejected as a fraud; a verifier silent
before sealing or after the reveal is replaced; and anyone but the verifier may challenge a pass its
own evidence contradicts ("pass without rendering"): a render-free panel decides, the challenger is
never on it.
"""

import brownie
import pytest
from brownie import chain
from helpers import (
    ACCEPTED,
    BOND,
    BPS,
    CHALLENGED,
    COMPLETED,
    DISPUTE_BOND,
    DISPUTED,
    DRAW_DELAY,
    FAILED,
    FALSE_ACCUSATION,
    FALSE_ACCUSATION_BPS,
    FRAUD,
    MIN_STAKE,
    NONE,
    OPENED,
    PAID,
    REJECTED,
    SEALED,
    SILENCE,
    SILENCE_BPS,
    SUBMITTED,
    VERIFY_WINDOW,
    ZERO_ADDRESS,
    Bid,
    advance,
    attest,
    cast_votes,
    collateral,
    commit_results,
    crowd,
    draw,
    draw_bounty,
    draw_panel,
    err,
    evidence_seal,
    fraud_slash,
    panel_pay,
    protocol_fee,
    ready_for_draw,
    release,
    reveal_results,
    run_auction,
    seal_and_reveal,
    seal_evidence,
    stake_all,
    verifier_fee,
)

PRICE, TILES = 10**15, 16
PAY = TILES * PRICE
B = DISPUTE_BOND
# What a verifier staking MIN_STAKE loses when a panel overturns its pass.
FALSE_VERDICT = MIN_STAKE * FALSE_ACCUSATION_BPS // BPS
# Evidence a lazy verifier seals without rendering: it cannot agree with tiles it has not seen.
UNRENDERED = "bafy-evidence-never-rendered"


@pytest.fixture
def job_id(staked, artist, worker):
    """A job whose 16 tiles all went to `worker`, its results committed, nobody drawn yet;
    `verifier` is the only account that can be drawn."""
    job_id = run_auction(staked, artist, [Bid(worker, PRICE, TILES)])
    commit_results(staked, job_id, worker)
    return job_id


@pytest.fixture
def drawn(staked, job_id, worker, verifier, stranger):
    """The job, its verifier drawn by `stranger` (who keeps the bounty)."""
    ready_for_draw()
    assert draw(staked, job_id, worker, stranger) == verifier
    return job_id


@pytest.fixture
def jurors():
    """Three accounts that stake only once the seat's verdict is in: the panel is exactly them."""
    return crowd(3, "blind-juror")


def slashes(tx):
    """Each `Slashed` event of `tx` as {account: (reason, amount)}."""
    return {e["worker"]: (e["reason"], e["amount"]) for e in tx.events if e.name == "Slashed"}


def panel_paid(tx):
    e = tx.events["PanelPaid"]
    return e["beneficiary"], e["feeEach"], e["bondsEach"], e["remainder"]


def holdings(market, who):
    """(credited balance, bonded stake) of `who` in the market."""
    a = market.account(who)
    return market.balanceOf(who), a["stake"] + a["unstaking"]


def lazy_pass(market, job_id, worker, verifier, stranger, jurors):
    """`verifier` passes `worker`'s seat with evidence it never rendered; then the jurors stake
    (so that only they can sit on a panel)."""
    assert attest(market, job_id, worker, True, stranger, UNRENDERED) == verifier
    assert market.seat(job_id, worker)["state"] == ACCEPTED
    stake_all(market, *jurors)


def challenge(market, job_id, worker, challenger):
    return market.openDispute(job_id, worker, "bafy-recomputed", {"from": challenger, "value": B})


# -- the order of the blind steps


def test_a_verifier_cannot_attest_before_the_worker_revealed(staked, drawn, worker, verifier):
    with brownie.reverts(err("SeatNotInState", drawn, worker, SUBMITTED, OPENED)):
        staked.attest(drawn, worker, True, "bafy-evidence", {"from": verifier})  # nothing sealed
    seal_evidence(staked, drawn, worker, verifier)
    for passed in (True, False):  # sealed, but the tiles are not revealed yet
        with brownie.reverts(err("SeatNotInState", drawn, worker, SEALED, OPENED)):
            staked.attest(drawn, worker, passed, "bafy-evidence", {"from": verifier})
    reveal_results(staked, drawn, worker)
    tx = staked.attest(drawn, worker, True, "bafy-evidence", {"from": verifier})
    assert "ResultsAccepted" in tx.events


def test_a_worker_cannot_reveal_before_its_verifier_sealed(
    staked, job_id, worker, verifier, stranger
):
    with brownie.reverts(err("SeatNotInState", job_id, worker, SUBMITTED, SEALED)):
        reveal_results(staked, job_id, worker)  # nobody drawn yet
    ready_for_draw()
    draw(staked, job_id, worker, stranger)
    with brownie.reverts(err("SeatNotInState", job_id, worker, SUBMITTED, SEALED)):
        reveal_results(staked, job_id, worker)  # drawn, but the verifier has not sealed
    tx = seal_evidence(staked, job_id, worker, verifier)
    sealed = tx.events["EvidenceSealed"]
    assert (sealed["worker"], sealed["verifier"]) == (worker, verifier)
    assert bytes(sealed["seal"]) == evidence_seal(job_id, worker, verifier)
    seat = staked.seat(job_id, worker)
    assert seat["state"] == SEALED and seat["deadline"] == tx.timestamp + VERIFY_WINDOW
    # Only the worker reveals its own results.
    with brownie.reverts(err("SeatNotInState", job_id, stranger, NONE, SEALED)):
        staked.revealResults(job_id, "bafy-results", {"from": stranger})
    tx = reveal_results(staked, job_id, worker)
    assert tx.events["ResultsRevealed"]["resultsCid"] == "bafy-results"
    seat = staked.seat(job_id, worker)
    assert seat["state"] == OPENED and seat["deadline"] == tx.timestamp + VERIFY_WINDOW
    with brownie.reverts(err("SeatNotInState", job_id, worker, OPENED, SEALED)):
        reveal_results(staked, job_id, worker)  # once


def test_attesting_with_other_evidence_than_the_sealed_one_is_refused(
    staked, drawn, worker, verifier
):
    seal_and_reveal(staked, drawn, worker, verifier, "bafy-evidence-sealed")
    # Having seen the tiles, the verifier cannot swap in evidence cropped from them.
    for other in ("bafy-evidence-cropped-from-the-tiles", "", "bafy-evidence-sealed "):
        for passed in (True, False):
            with brownie.reverts(err("EvidenceMismatch", drawn, worker, verifier)):
                staked.attest(drawn, worker, passed, other, {"from": verifier})
    assert staked.seat(drawn, worker)["state"] == OPENED
    tx = staked.attest(drawn, worker, False, "bafy-evidence-sealed", {"from": verifier})
    attested = tx.events["ResultsAttested"]
    assert (attested["passed"], attested["evidenceCid"]) == (False, "bafy-evidence-sealed")
    assert staked.seat(drawn, worker)["state"] == FAILED


def test_only_the_drawn_verifier_can_seal_evidence(
    staked, job_id, artist, worker, verifier, stranger
):
    ready_for_draw()
    with brownie.reverts(err("VerifierNotDrawn", job_id, worker)):
        seal_evidence(staked, job_id, worker, verifier)  # nobody drew yet
    draw(staked, job_id, worker, stranger)
    for intruder in (stranger, artist):
        with brownie.reverts(err("NotDrawnVerifier", job_id, worker, intruder, verifier)):
            seal_evidence(staked, job_id, worker, intruder)
    with brownie.reverts(err("CannotVerifyOwnWork", job_id, worker)):
        seal_evidence(staked, job_id, worker, worker)
    assert staked.seat(job_id, worker)["state"] == SUBMITTED
    seal_evidence(staked, job_id, worker, verifier)
    with brownie.reverts(err("SeatNotInState", job_id, worker, SEALED, SUBMITTED)):
        seal_evidence(staked, job_id, worker, verifier, "bafy-evidence-second-thoughts")


def test_a_seal_after_the_window_is_refused_and_the_silent_verifier_is_slashed_when_replaced(
    staked, drawn, worker, verifier, stranger
):
    deadline = staked.seat(drawn, worker)["deadline"]
    with brownie.reverts(err("WindowStillOpen", drawn, worker, deadline)):
        staked.replaceVerifier(drawn, worker, {"from": stranger})
    advance(VERIFY_WINDOW + 1)
    with brownie.reverts(err("VerificationWindowClosed", drawn, worker, deadline)):
        seal_evidence(staked, drawn, worker, verifier)
    before = staked.balanceOf(worker)
    tx = staked.replaceVerifier(drawn, worker, {"from": stranger})
    slashed = MIN_STAKE * SILENCE_BPS // BPS
    assert slashes(tx) == {verifier: (SILENCE, slashed)}
    assert staked.balanceOf(worker) == before + slashed  # paid to the waiting worker
    replaced = tx.events["VerifierReplaced"]
    assert (replaced["silentVerifier"], replaced["round"]) == (verifier, 1)
    seat = staked.seat(drawn, worker)
    assert (seat["state"], seat["round"], seat["verifierId"]) == (SUBMITTED, 1, 0)
    assert seat["anchorBlock"] == tx.block_number + DRAW_DELAY
    account = staked.account(verifier)
    assert account["duties"] == 0 and account["timeouts"] == 1
    assert account["stake"] == MIN_STAKE - slashed


def test_a_worker_that_hides_its_results_after_the_seal_is_rejected_as_a_fraud(
    staked, drawn, artist, worker, verifier, stranger
):
    seal_evidence(staked, drawn, worker, verifier)
    deadline = staked.seat(drawn, worker)["deadline"]
    with brownie.reverts(err("WindowStillOpen", drawn, worker, deadline)):
        staked.finalizeRejection(drawn, worker, {"from": stranger})
    advance(VERIFY_WINDOW + 1)
    # Too late to reveal; and the verifier that sealed in time is not silent: no replacement.
    with brownie.reverts(err("VerificationWindowClosed", drawn, worker, deadline)):
        reveal_results(staked, drawn, worker)
    with brownie.reverts(err("SeatNotInState", drawn, worker, SEALED, SUBMITTED)):
        staked.replaceVerifier(drawn, worker, {"from": stranger})
    escrow = staked.job(drawn)["escrow"]
    artist_before, verifier_before = staked.balanceOf(artist), staked.balanceOf(verifier)
    tx = staked.finalizeRejection(drawn, worker, {"from": stranger})
    seat_collateral = collateral(TILES, PRICE)
    slashed = fraud_slash(MIN_STAKE, seat_collateral)
    assert slashed > seat_collateral  # the collateral, and fraudSlashBps of the rest
    assert slashes(tx) == {worker: (FRAUD, slashed)}
    assert tx.events["ResultsRejected"]["slashed"] == slashed
    assert staked.seat(drawn, worker)["state"] == REJECTED
    account = staked.account(worker)
    assert account["stake"] == MIN_STAKE - slashed and account["locked"] == 0
    assert account["tilesRejected"] == TILES and account["tilesAccepted"] == 0
    assert staked.balanceOf(worker) == BOND  # its bid bond, never a price
    # The verifier, the honest party: its fee and half the slash, as after an unappealed fail.
    vfee = verifier_fee(TILES)
    assert staked.balanceOf(verifier) == verifier_before + vfee + slashed // 2
    assert staked.account(verifier)["duties"] == 0
    assert staked.balanceOf(artist) == artist_before + escrow - vfee + slashed - slashed // 2
    assert staked.balanceOf(stranger) == draw_bounty(TILES)
    assert staked.job(drawn)["status"] == COMPLETED and staked.job(drawn)["escrow"] == 0


def test_a_verifier_silent_after_the_reveal_is_replaced_and_the_worker_reveals_again_next_round(
    staked, job_id, worker, verifier, rival, spare, stranger
):
    stake_all(staked, rival, spare)
    ready_for_draw()
    silent = draw(staked, job_id, worker, stranger)
    seal_and_reveal(staked, job_id, worker, silent, "bafy-evidence-round-0")
    deadline = staked.seat(job_id, worker)["deadline"]
    with brownie.reverts(err("WindowStillOpen", job_id, worker, deadline)):
        staked.replaceVerifier(job_id, worker, {"from": stranger})
    advance(VERIFY_WINDOW + 1)
    with brownie.reverts(err("VerificationWindowClosed", job_id, worker, deadline)):
        staked.attest(job_id, worker, True, "bafy-evidence-round-0", {"from": silent})
    before = staked.balanceOf(worker)
    tx = staked.replaceVerifier(job_id, worker, {"from": stranger})
    slashed = MIN_STAKE * SILENCE_BPS // BPS
    assert slashes(tx) == {silent: (SILENCE, slashed)}
    assert staked.balanceOf(worker) == before + slashed
    assert tx.events["VerifierReplaced"]["round"] == 1
    seat = staked.seat(job_id, worker)
    assert (seat["state"], seat["round"], seat["verifierId"]) == (SUBMITTED, 1, 0)
    assert staked.account(silent)["duties"] == 0
    # The new round starts blind again: no reveal before the new verifier seals.
    with brownie.reverts(err("SeatNotInState", job_id, worker, SUBMITTED, SEALED)):
        reveal_results(staked, job_id, worker)
    ready_for_draw()
    second = draw(staked, job_id, worker, stranger)
    assert second != silent  # slashed below the minimum, it left the pool
    with brownie.reverts(err("SeatNotInState", job_id, worker, SUBMITTED, OPENED)):
        staked.attest(job_id, worker, True, "bafy-evidence-round-0", {"from": second})
    seal_and_reveal(staked, job_id, worker, second, "bafy-evidence-round-1")
    # The first round's seal does not carry over.
    with brownie.reverts(err("EvidenceMismatch", job_id, worker, second)):
        staked.attest(job_id, worker, True, "bafy-evidence-round-0", {"from": second})
    staked.attest(job_id, worker, True, "bafy-evidence-round-1", {"from": second})
    tx = release(staked, job_id, worker, stranger)
    assert tx.events["PaymentReleased"]["verifierFee"] == verifier_fee(TILES, round_=1)
    assert staked.balanceOf(second) == verifier_fee(TILES, round_=1)
    assert staked.balanceOf(silent) == 0
    assert staked.balanceOf(worker) == before + slashed + PAY


@pytest.mark.parametrize("state", [SEALED, OPENED], ids=["sealed", "revealed"])
def test_the_artist_may_accept_a_sealed_or_revealed_seat_and_still_pays_the_verifier(
    staked, drawn, artist, worker, verifier, state
):
    seal_evidence(staked, drawn, worker, verifier)
    if state == OPENED:
        reveal_results(staked, drawn, worker)
    assert staked.seat(drawn, worker)["state"] == state
    tx = staked.acceptResults(drawn, worker, {"from": artist})
    assert tx.events["PaymentReleased"]["verifierFee"] == verifier_fee(TILES)
    assert staked.seat(drawn, worker)["state"] == PAID
    assert staked.balanceOf(verifier) == verifier_fee(TILES)
    assert staked.balanceOf(worker) == BOND + PAY
    assert staked.account(verifier)["duties"] == 0
    with brownie.reverts(err("SeatNotInState", drawn, worker, PAID, OPENED)):
        staked.attest(drawn, worker, True, "bafy-evidence", {"from": verifier})


# -- challenges: a pass its own evidence contradicts ("pass without rendering")


def test_a_lazy_pass_challenged_by_a_third_party_slashes_the_verifier_to_the_challenger(
    staked, job_id, artist, worker, verifier, treasury, auditor, stranger, jurors
):
    """The verifier passes without rendering: the evidence it sealed blind contradicts the tiles
    the worker then revealed. `auditor`, a third party with no stake, recomputes the verdict from
    the evidence and the tiles and challenges; the panel votes "contradicted". The verifier loses
    falseAccusationSlashBps of its stake (the panel's fee first, the rest to the challenger) and its
    fee; the challenger gets its bond back; the worker's tiles were never judged, so the seat is
    verified again in a new round, neither paid nor slashed."""
    lazy_pass(staked, job_id, worker, verifier, stranger, jurors)
    tx = challenge(staked, job_id, worker, auditor)
    opened = tx.events["DisputeOpened"]
    assert (opened["disputer"], opened["bond"]) == (auditor, B)
    assert staked.seat(job_id, worker)["state"] == CHALLENGED
    members = draw_panel(staked, job_id, worker, stranger)
    assert sorted(m.address for m in members) == sorted(j.address for j in jurors)
    cast_votes(staked, job_id, worker, dict.fromkeys(members, True))  # contradicted, unanimously
    parties = [artist, worker, verifier, treasury, auditor, stranger, *members]
    before = {p: holdings(staked, p) for p in parties}
    escrow, market_balance = staked.job(job_id)["escrow"], staked.balance()
    locked = staked.account(worker)["locked"]

    tx = staked.resolveDispute(job_id, worker, {"from": stranger})

    assert tx.events["DisputeResolved"]["fraud"] is True
    assert slashes(tx) == {verifier: (FALSE_ACCUSATION, FALSE_VERDICT)}
    fee = min(B, FALSE_VERDICT)  # the panel's fee, out of the verifier's slash
    fee_each, bonds_each, remainder = panel_pay(fee, 3, 3, 0)
    assert panel_paid(tx) == (auditor, fee_each, bonds_each, remainder)
    gained = {p: holdings(staked, p)[0] - before[p][0] for p in parties}
    # The challenger: its bond back and the slash less the panel's fee (and the fee's rounding).
    assert gained[auditor] == B + FALSE_VERDICT - fee + remainder
    assert [gained[m] for m in members] == [fee_each] * 3
    assert holdings(staked, verifier) == (before[verifier][0], MIN_STAKE - FALSE_VERDICT)
    assert staked.account(verifier)["duties"] == 0
    assert all(gained[p] == 0 for p in (artist, worker, verifier, treasury, stranger))
    assert holdings(staked, worker)[1] == before[worker][1] == MIN_STAKE
    assert staked.account(worker)["locked"] == locked == collateral(TILES, PRICE)
    assert "PaymentReleased" not in tx.events and "ResultsRejected" not in tx.events
    # Nothing left the job: the seat is verified again.
    replaced = tx.events["VerifierReplaced"]
    assert (replaced["silentVerifier"], replaced["round"]) == (verifier, 1)
    seat = staked.seat(job_id, worker)
    assert (seat["state"], seat["round"], seat["verifierId"]) == (SUBMITTED, 1, 0)
    assert seat["anchorBlock"] == tx.block_number + DRAW_DELAY
    assert staked.job(job_id)["escrow"] == escrow and staked.dispute(job_id, worker)["bond"] == 0
    assert staked.balance() == market_balance
    assert sum(gained.values()) == B + FALSE_VERDICT  # the bond and the slash, to the wei
    # Round 1: a new verifier (the lazy one left the pool) seals, the worker reveals again, and
    # only that verifier's pass pays; the lazy verifier never sees its fee.
    ready_for_draw()
    honest = draw(staked, job_id, worker, stranger)
    assert honest != verifier and honest in members
    with brownie.reverts(err("SeatNotInState", job_id, worker, SUBMITTED, SEALED)):
        reveal_results(staked, job_id, worker)
    seal_and_reveal(staked, job_id, worker, honest, "bafy-evidence-rendered")
    staked.attest(job_id, worker, True, "bafy-evidence-rendered", {"from": honest})
    tx = release(staked, job_id, worker, stranger)
    assert tx.events["PaymentReleased"]["verifierFee"] == verifier_fee(TILES, round_=1)
    assert staked.balanceOf(verifier) == 0
    assert staked.balanceOf(worker) == BOND + PAY


def test_a_rejected_challenge_loses_the_bond_to_the_panel_and_the_pass_stands_with_a_fresh_window(
    staked, job_id, artist, worker, verifier, treasury, auditor, stranger, jurors
):
    lazy_pass(staked, job_id, worker, verifier, stranger, jurors)
    challenge(staked, job_id, worker, auditor)
    members = draw_panel(staked, job_id, worker, stranger)
    cast_votes(staked, job_id, worker, dict.fromkeys(members, False))  # the evidence agrees
    before = {p: holdings(staked, p) for p in (auditor, verifier, worker, *members)}

    tx = staked.resolveDispute(job_id, worker, {"from": stranger})

    assert tx.events["DisputeResolved"]["fraud"] is False
    assert "Slashed" not in tx.events and "PaymentReleased" not in tx.events
    fee_each, bonds_each, remainder = panel_pay(B, 3, 3, 0)  # the challenger's bond is the fee
    assert panel_paid(tx) == (verifier, fee_each, bonds_each, remainder)
    assert holdings(staked, auditor) == before[auditor] == (0, 0)  # its bond is gone
    assert [holdings(staked, m)[0] - before[m][0] for m in members] == [fee_each] * 3
    assert holdings(staked, verifier) == (before[verifier][0] + remainder, MIN_STAKE)
    assert staked.dispute(job_id, worker)["bond"] == 0
    # The pass stands, with a fresh contest window from the verdict.
    seat = staked.seat(job_id, worker)
    assert seat["state"] == ACCEPTED and seat["deadline"] == tx.timestamp + VERIFY_WINDOW
    assert staked.account(verifier)["duties"] == 1  # still its seat until it is paid
    with brownie.reverts(err("WindowStillOpen", job_id, worker, seat["deadline"])):
        staked.release(job_id, worker, {"from": stranger})
    tx = release(staked, job_id, worker, stranger)
    assert tx.events["PaymentReleased"]["payment"] == PAY
    assert staked.balanceOf(worker) == BOND + PAY
    assert staked.balanceOf(verifier) == remainder + verifier_fee(TILES)
    assert staked.balanceOf(treasury) == protocol_fee(TILES, PRICE)
    assert staked.account(verifier)["duties"] == 0
    assert staked.job(job_id)["status"] == COMPLETED


def test_the_seats_verifier_cannot_challenge_its_own_pass(
    staked, job_id, artist, worker, verifier, auditor, stranger
):
    attest(staked, job_id, worker, True, stranger)
    with brownie.reverts(err("NotDisputable", job_id, worker, verifier, ACCEPTED)):
        challenge(staked, job_id, worker, verifier)
    with brownie.reverts(err("WrongDisputeBond", B - 1, B)):
        staked.openDispute(job_id, worker, "x", {"from": auditor, "value": B - 1})
    deadline = staked.seat(job_id, worker)["deadline"]
    advance(VERIFY_WINDOW + 1)
    with brownie.reverts(err("DisputeWindowClosed", job_id, worker, deadline)):
        challenge(staked, job_id, worker, auditor)
    assert staked.seat(job_id, worker)["state"] == ACCEPTED


def test_only_a_pass_can_be_challenged(staked, job_id, worker, verifier, auditor, stranger):
    """A fail is the worker's to appeal: a third party cannot escalate it (nor a seat still
    waiting for its verdict)."""
    ready_for_draw()
    draw(staked, job_id, worker, stranger)
    seal_and_reveal(staked, job_id, worker, verifier)
    with brownie.reverts(err("NotDisputable", job_id, worker, auditor, OPENED)):
        challenge(staked, job_id, worker, auditor)
    staked.attest(job_id, worker, False, "bafy-evidence", {"from": verifier})
    with brownie.reverts(err("NotDisputable", job_id, worker, auditor, FAILED)):
        challenge(staked, job_id, worker, auditor)


def test_the_challenger_is_never_drawn_onto_its_own_panel(
    staked, job_id, worker, verifier, auditor, stranger
):
    """The pool holds the worker, the verifier, the challenger and two more accounts: three
    accounts are neither the worker nor the artist nor the verifier, for three panel seats, so a
    draw that did not exclude the challenger would always seat it. It is excluded: the panel is
    the two others, and its third seat stays empty."""
    attest(staked, job_id, worker, True, stranger, UNRENDERED)
    others = crowd(2, "blind-small-pool")
    stake_all(staked, auditor, *others)
    assert staked.poolSize() == 5
    challenge(staked, job_id, worker, auditor)
    ready_for_draw()
    tx = staked.drawPanel(job_id, worker, {"from": stranger})
    members = tx.events["PanelDrawn"]["members"]
    assert sorted(m for m in members if m != ZERO_ADDRESS) == sorted(o.address for o in others)
    assert members[2] == ZERO_ADDRESS and auditor not in members
    assert staked.account(auditor)["duties"] == 0
    d = staked.dispute(job_id, worker)
    assert d["member2"] == 0 and d["disputer"] == auditor
    # The two members decide; the challenger, its bond back and the slash less the fee, wins.
    members = [m for m in members if m != ZERO_ADDRESS]
    cast_votes(staked, job_id, worker, dict.fromkeys(members, True))
    tx = staked.resolveDispute(job_id, worker, {"from": stranger})
    fee_each, _, remainder = panel_pay(B, 2, 2, 0)
    assert panel_paid(tx) == (auditor, fee_each, 0, remainder)
    assert staked.balanceOf(auditor) == FALSE_VERDICT + remainder


# -- a seat disputed a second time: its panel must be its own


def test_an_appeal_after_an_upheld_challenge_is_judged_by_a_panel_of_its_own(
    staked, job_id, worker, verifier, auditor, stranger, jurors
):
    """A challenge upheld sends the seat to a new round; that round's verifier fails it and the
    worker appeals. The appeal needs a panel of its own: the challenge's panel voted on other
    evidence, and its votes ("contradicted", counted as fraud) must not decide the appeal."""
    lazy_pass(staked, job_id, worker, verifier, stranger, jurors)
    challenge(staked, job_id, worker, auditor)
    members = draw_panel(staked, job_id, worker, stranger)
    cast_votes(staked, job_id, worker, dict.fromkeys(members, True))
    staked.resolveDispute(job_id, worker, {"from": stranger})
    assert staked.seat(job_id, worker)["state"] == SUBMITTED
    attest(staked, job_id, worker, False, stranger, "bafy-evidence-round-1")
    staked.openDispute(job_id, worker, "bafy-appeal", {"from": worker, "value": B})
    assert staked.seat(job_id, worker)["state"] == DISPUTED
    d = staked.dispute(job_id, worker)
    assert (d["disputer"], d["bond"]) == (worker, B)
    fresh = (d["drawn"], d["member0"], d["member1"], d["member2"], d["votesFraud"],
             d["votesHonest"], d["votedMask"], d["committedMask"])  # fmt: skip
    assert fresh == (False, 0, 0, 0, 0, 0, 0, 0), "the appeal inherited the challenge's panel"
    reveal_end = d["deadline"] + VERIFY_WINDOW
    with brownie.reverts(err("VotingStillOpen", job_id, worker, reveal_end)):
        staked.resolveDispute(job_id, worker, {"from": stranger})


def test_a_contest_after_a_rejected_challenge_is_judged_by_a_panel_of_its_own(
    staked, job_id, artist, worker, verifier, auditor, stranger, jurors
):
    """A rejected challenge gives the pass a fresh contest window, in which the artist may still
    contest it: that contest needs its own panel, draw and votes."""
    lazy_pass(staked, job_id, worker, verifier, stranger, jurors)
    challenge(staked, job_id, worker, auditor)
    members = draw_panel(staked, job_id, worker, stranger)
    cast_votes(staked, job_id, worker, dict.fromkeys(members, False))
    staked.resolveDispute(job_id, worker, {"from": stranger})
    assert staked.seat(job_id, worker)["state"] == ACCEPTED
    staked.openDispute(job_id, worker, "bafy-contest", {"from": artist, "value": B})
    d = staked.dispute(job_id, worker)
    assert (d["disputer"], d["drawn"], d["votedMask"]) == (artist, False, 0)
    reveal_end = d["deadline"] + VERIFY_WINDOW
    with brownie.reverts(err("VotingStillOpen", job_id, worker, reveal_end)):
        staked.resolveDispute(job_id, worker, {"from": stranger})
    assert chain.time() < reveal_end

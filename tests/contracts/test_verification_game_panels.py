"""The verification game, panels (docs/protocol.md, "Disputes"): each test replays finding 6 of the
security review, "Panels favour voting fraud: only fraud voters share the slash, honest voters get
nothing, losing voters lose nothing, and votes are public as they are cast, so later voters copy",
and shows the attack now fails.

Votes are sealed (`commitVote`, the seal covering the vote and its evidence CID) and revealed only
once every member sealed or the commit window (one verification window from the draw, which must
come before the dispute's first deadline) closed, and a reveal must match its seal; every member
that reveals earns an equal share of the losing side's fee; a member that stays silent or is
outvoted loses up to a dispute bond of its stake to the members that voted for the outcome, or to
the treasury when none did (silence must not pay the side it favours); a member cannot withdraw its
stake before the verdict. The rules run in the `PanelCourt` the market delegates to, which acts on
nothing of the market's when called directly.
"""

from collections import defaultdict

import brownie
import pytest
from brownie import PanelCourt, chain, web3
from helpers import (
    BPS,
    DISPUTE_BOND,
    DISPUTED,
    FALSE_ACCUSATION,
    FALSE_ACCUSATION_BPS,
    FRAUD,
    MIN_STAKE,
    NONE,
    OUTVOTED,
    PAID,
    REJECTED,
    SILENCE,
    UNSTAKE_DELAY,
    VERIFY_WINDOW,
    ZERO_ADDRESS,
    Bid,
    Vote,
    advance,
    attest,
    cast_votes,
    collateral,
    commit_results,
    crowd,
    deploy_market,
    draw_panel,
    err,
    fraud_slash,
    market_config,
    panel_pay,
    panel_treasury_share,
    protocol_fee,
    ready_for_draw,
    run_auction,
    stake_all,
    verifier_fee,
)

from tilefarm.adapters.chain.votes import vote_commitment

PRICE, TILES = 10**15, 16
PAY = TILES * PRICE
B = DISPUTE_BOND
# What the failing (or passing) verifier loses when the panel overturns it: its stake is MIN_STAKE.
FALSE_VERDICT = MIN_STAKE * FALSE_ACCUSATION_BPS // BPS
# The EIP-170 limit on a contract's code: the reason the dispute rules live in their own contract.
MAX_CODE_SIZE = 24_576
# A ballot entry that seals a vote and never reveals it (None: seals nothing).
SEALED_ONLY = "sealed only"


@pytest.fixture
def jurors():
    """Three accounts that stake only once the seat's verdict is in: the panel is exactly them."""
    return crowd(3, "juror")


@pytest.fixture
def dispute(staked, artist, worker, stranger, jurors):
    """Returns a function: a fresh job's seat attested by `verifier` and escalated, the worker's
    appeal of a fail (`appeal`) or the artist's contest of a pass, with its panel drawn; returns
    (job id, members)."""

    def make(appeal, market=staked):
        return escalate(market, artist, worker, stranger, jurors, appeal)

    return make


def escalate(market, artist, worker, stranger, jurors, appeal, draw=True):
    """A fresh job's seat attested and escalated (see `dispute`); returns (job id, members), the
    members empty when the panel is left undrawn (`draw=False`)."""
    job_id = run_auction(market, artist, [Bid(worker, PRICE, TILES)])
    commit_results(market, job_id, worker)
    attest(market, job_id, worker, not appeal, stranger)
    stake_all(market, *jurors)
    disputer = worker if appeal else artist
    value = market.config()["disputeBond"]
    market.openDispute(job_id, worker, "bafy-why", {"from": disputer, "value": value})
    if not draw:
        return job_id, []
    members = draw_panel(market, job_id, worker, stranger)
    assert sorted(m.address for m in members) == sorted(j.address for j in jurors)
    return job_id, members


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


# -- the market and its court


def test_finding_6_the_market_runs_its_disputes_in_a_deployed_panel_court(staked):
    court = staked.panelCourt()
    assert court not in (ZERO_ADDRESS, staked.address)
    code = web3.eth.get_code(court)
    # The court's code, as compiled (its immutables filled in at deployment keep their length).
    assert len(code) == len(bytes.fromhex(PanelCourt._build["deployedBytecode"])) > 0
    assert len(web3.eth.get_code(staked.address)) <= MAX_CODE_SIZE
    assert len(code) <= MAX_CODE_SIZE
    assert web3.eth.get_balance(court) == 0


def test_finding_6_a_direct_call_to_the_panel_court_cannot_touch_the_markets_money_or_state(
    staked, dispute, artist, worker, verifier, stranger
):
    job_id, members = dispute(appeal=True)
    votes = cast_votes(staked, job_id, worker, dict.fromkeys(members, False))  # ready to resolve
    court = PanelCourt.at(staked.panelCourt())
    parties = [artist, worker, verifier, stranger, *members]
    before = (
        staked.balance(),
        staked.dispute(job_id, worker),
        staked.seat(job_id, worker),
        staked.job(job_id),
        [holdings(staked, p) for p in parties],
    )
    # The court's own storage holds no job, no seat and no dispute: every rule stops at once.
    with brownie.reverts(err("JobNotFound", job_id)):
        court.resolveDispute(job_id, worker, {"from": stranger})
    with brownie.reverts(err("JobNotFound", job_id)):
        court.drawPanel(job_id, worker, {"from": stranger})
    with brownie.reverts(err("JobNotFound", job_id)):
        court.openDispute(job_id, worker, "bafy-why", {"from": worker, "value": B})
    sealed = Vote(job_id, worker, members[0], True).commitment()
    with brownie.reverts(err("SeatNotInState", job_id, worker, NONE, DISPUTED)):
        court.commitVote(job_id, worker, sealed, {"from": members[0]})
    v = votes[0]
    with brownie.reverts(err("JobNotFound", job_id)):
        court.revealVote(job_id, worker, v.fraud, v.salt, "bafy", {"from": members[0]})
    assert court.dispute(job_id, worker)["disputer"] == ZERO_ADDRESS
    with brownie.reverts():
        stranger.transfer(court, 1)  # and it takes no ETH
    assert web3.eth.get_balance(court.address) == 0
    after = (
        staked.balance(),
        staked.dispute(job_id, worker),
        staked.seat(job_id, worker),
        staked.job(job_id),
        [holdings(staked, p) for p in parties],
    )
    assert after == before
    # Through the market, the same dispute resolves as usual.
    tx = staked.resolveDispute(job_id, worker, {"from": stranger})
    assert tx.events["DisputeResolved"]["fraud"] is False
    assert tx.events["PanelPaid"]["feeEach"] == B // 3


# -- sealed votes: nobody sees, copies or changes a vote


def test_finding_6_no_member_can_reveal_or_copy_a_vote_before_every_member_sealed(
    staked, dispute, worker, stranger
):
    job_id, members = dispute(appeal=True)
    first = Vote(job_id, worker, members[0], True)
    tx = first.commit(staked)
    # What the others see is a hash: no vote in the event, no count in the dispute.
    assert set(tx.events["VoteCommitted"].keys()) == {"jobId", "worker", "voter", "commitment"}
    d = staked.dispute(job_id, worker)
    assert (d["committedMask"], d["votedMask"], d["votesFraud"], d["votesHonest"]) == (1, 0, 0, 0)
    with brownie.reverts(err("RevealsNotOpen", job_id, worker, d["deadline"])):
        first.reveal(staked)  # no reveal while a member may still seal
    # A copier seals the same hash; it binds the first member's address, so it can never be
    # revealed by anyone else, not even with the vote and the salt the first member reveals.
    copied = first.commitment()
    staked.commitVote(job_id, worker, copied, {"from": members[1]})
    Vote(job_id, worker, members[2], False).commit(staked)  # the last seal opens the reveals
    first.reveal(staked)
    for fraud in (True, False):
        with brownie.reverts(err("VoteMismatch", job_id, worker, members[1])):
            staked.revealVote(job_id, worker, fraud, first.salt, "bafy", {"from": members[1]})
    advance(3 * VERIFY_WINDOW + 1)
    tx = staked.resolveDispute(job_id, worker, {"from": stranger})
    assert slashes(tx)[members[1]] == (SILENCE, B)  # the copier is silent, and pays for it
    assert staked.balanceOf(members[1]) == 0


def test_finding_6_a_member_who_waits_to_see_the_votes_can_no_longer_vote(
    staked, dispute, worker, stranger
):
    job_id, members = dispute(appeal=False)
    votes = [Vote(job_id, worker, m, False) for m in members[:2]]
    for v in votes:
        v.commit(staked)
    deadline = staked.dispute(job_id, worker)["deadline"]
    with brownie.reverts(err("RevealsNotOpen", job_id, worker, deadline)):
        votes[0].reveal(staked)  # the third member has not sealed yet
    advance(VERIFY_WINDOW + 1)
    # The commit window closed: reveals open, and the member that waited can no longer seal.
    with brownie.reverts(err("VotingClosed", job_id, worker, deadline)):
        Vote(job_id, worker, members[2], False).commit(staked)
    for v in votes:
        v.reveal(staked)
    with brownie.reverts(err("VoteNotCommitted", job_id, worker, members[2])):
        Vote(job_id, worker, members[2], False).reveal(staked)
    # Two of three revealed: the verdict waits for the reveal window to close.
    with brownie.reverts(err("VotingStillOpen", job_id, worker, deadline + VERIFY_WINDOW)):
        staked.resolveDispute(job_id, worker, {"from": stranger})
    advance(VERIFY_WINDOW)
    tx = staked.resolveDispute(job_id, worker, {"from": stranger})
    assert slashes(tx)[members[2]] == (SILENCE, B)


def test_finding_6_a_member_cannot_change_its_vote_or_its_evidence_at_reveal(
    staked, dispute, worker
):
    job_id, members = dispute(appeal=True)
    votes = [
        Vote(job_id, worker, m, True, evidence=f"bafy-evidence-{k}") for k, m in enumerate(members)
    ]
    for v in votes:
        v.commit(staked)
    sealed = votes[0]
    # The seal is the contract's own hash of the vote and its evidence, as the worker computes it.
    assert sealed.commitment() == vote_commitment(
        job_id, worker.address, members[0].address, True, sealed.salt, "bafy-evidence-0"
    )
    assert bytes(staked.voteCommitments(job_id, worker)[0]) == sealed.commitment()
    cid = sealed.evidence
    with brownie.reverts(err("VoteMismatch", job_id, worker, members[0])):
        staked.revealVote(job_id, worker, False, sealed.salt, cid, {"from": members[0]})
    with brownie.reverts(err("VoteMismatch", job_id, worker, members[0])):
        staked.revealVote(job_id, worker, True, b"\x01" * 32, cid, {"from": members[0]})
    # Evidence other than the sealed one (a CID copied from another member's reveal, say) fails.
    for other in ("bafy-evidence-1", "", cid + " "):
        with brownie.reverts(err("VoteMismatch", job_id, worker, members[0])):
            sealed.reveal(staked, other)
    with brownie.reverts(err("AlreadyVoted", job_id, worker, members[0])):
        Vote(job_id, worker, members[0], False).commit(staked)  # nor seal it again
    tx = sealed.reveal(staked)
    cast = tx.events["VoteCast"]
    assert (cast["voter"], cast["fraud"], cast["evidenceCid"]) == (
        members[0],
        True,
        "bafy-evidence-0",
    )
    with brownie.reverts(err("AlreadyVoted", job_id, worker, members[0])):
        Vote(job_id, worker, members[0], False, sealed.salt).reveal(staked)
    d = staked.dispute(job_id, worker)
    assert (d["votesFraud"], d["votesHonest"], d["votedMask"]) == (1, 0, 0b1_0001)


# -- money: honest voters are paid, losing and silent voters pay


def test_finding_6_honest_voters_are_paid_when_an_appeal_wins(
    staked, dispute, worker, verifier, stranger
):
    job_id, members = dispute(appeal=True)
    cast_votes(staked, job_id, worker, dict.fromkeys(members, False))
    worker_before = staked.balanceOf(worker)
    tx = staked.resolveDispute(job_id, worker, {"from": stranger})
    assert tx.events["DisputeResolved"]["fraud"] is False
    # The panel's fee, a dispute bond, comes out of the false accuser's slash: it is paid to the
    # three honest voters; nobody else is slashed.
    assert slashes(tx) == {verifier: (FALSE_ACCUSATION, FALSE_VERDICT)}
    fee_each, bonds_each, remainder = panel_pay(B, 3, 3, 0)
    assert (fee_each, bonds_each, remainder) == (B // 3, 0, 1)
    assert panel_paid(tx) == (worker, fee_each, 0, remainder)
    for m in members:
        assert holdings(staked, m) == (fee_each, MIN_STAKE)
        assert staked.account(m)["duties"] == 0
    # The worker: its bond back, the false accuser's slash less the fee, the remainder, its pay.
    assert staked.balanceOf(worker) == worker_before + B + (FALSE_VERDICT - B) + remainder + PAY


def test_finding_6_honest_voters_are_paid_when_a_contest_fails(
    staked, dispute, artist, worker, verifier, treasury, stranger
):
    job_id, members = dispute(appeal=False)
    cast_votes(staked, job_id, worker, dict.fromkeys(members, False))
    escrow = staked.job(job_id)["escrow"]
    artist_before, worker_before = staked.balanceOf(artist), staked.balanceOf(worker)
    tx = staked.resolveDispute(job_id, worker, {"from": stranger})
    assert tx.events["DisputeResolved"]["fraud"] is False
    # The artist's lost bond is the panel's fee, shared by the three honest voters.
    fee_each, _, remainder = panel_pay(B, 3, 3, 0)
    assert panel_paid(tx) == (worker, B // 3, 0, 1)
    assert [holdings(staked, m) for m in members] == [(fee_each, MIN_STAKE)] * 3
    assert "Slashed" not in tx.events
    assert staked.balanceOf(worker) == worker_before + PAY + remainder
    assert staked.balanceOf(verifier) == verifier_fee(TILES)
    fee = protocol_fee(TILES, PRICE)
    assert staked.balanceOf(treasury) == fee
    # The artist gets back what the job did not spend, and not its bond.
    assert staked.balanceOf(artist) == artist_before + escrow - PAY - verifier_fee(TILES) - fee


@pytest.mark.parametrize("appeal", [True, False], ids=["appeal", "contest"])
def test_finding_6_a_member_voting_fraud_on_honest_work_is_outvoted_and_pays_the_honest_voters(
    staked, dispute, worker, stranger, appeal
):
    job_id, members = dispute(appeal=appeal)
    honest, liar = members[:2], members[2]
    cast_votes(staked, job_id, worker, {honest[0]: False, honest[1]: False, liar: True})
    tx = staked.resolveDispute(job_id, worker, {"from": stranger})
    assert tx.events["DisputeResolved"]["fraud"] is False
    assert slashes(tx)[liar] == (OUTVOTED, B)
    # Every revealed vote earns a third of the fee; the liar's bond goes to the two honest voters.
    fee_each, bonds_each, remainder = panel_pay(B, 3, 2, B)
    assert panel_paid(tx) == (worker, fee_each, bonds_each, remainder)
    assert bonds_each == B // 2
    for m in honest:
        assert holdings(staked, m) == (fee_each + bonds_each, MIN_STAKE)
    assert holdings(staked, liar) == (fee_each, MIN_STAKE - B)  # a net loss of 2/3 of a bond
    assert staked.account(liar)["duties"] == 0


def test_finding_6_an_outvoted_member_loses_no_more_than_it_has_bonded(
    deployer, treasury, artist, worker, verifier, stranger, jurors
):
    """A dispute bond above a member's stake: the outvoted member loses all it has bonded, not
    more; and the panel's fee is the whole of a false accuser's smaller slash."""
    bond = 2 * MIN_STAKE
    market = deploy_market(market_config(treasury, disputeBond=bond), deployer)
    stake_all(market, worker, verifier)
    job_id, members = escalate(market, artist, worker, stranger, jurors, appeal=True)
    liar = members[2]
    cast_votes(market, job_id, worker, {members[0]: False, members[1]: False, liar: True})
    worker_before = market.balanceOf(worker)
    tx = market.resolveDispute(job_id, worker, {"from": stranger})
    assert slashes(tx)[liar] == (OUTVOTED, MIN_STAKE)  # min(disputeBond, bonded stake)
    assert holdings(market, liar)[1] == 0 and market.account(liar)["poolIndex"] == 0
    fee = FALSE_VERDICT  # min(disputeBond, the false accuser's slash)
    assert fee < bond
    fee_each, bonds_each, remainder = panel_pay(fee, 3, 2, MIN_STAKE)
    assert panel_paid(tx) == (worker, fee_each, bonds_each, remainder)
    assert market.balanceOf(members[0]) == fee_each + bonds_each
    assert market.balanceOf(liar) == fee_each
    # The worker gets its bond back and the slash less the fee: nothing of it is left.
    assert market.balanceOf(worker) == worker_before + bond + remainder + PAY


def test_finding_6_a_member_that_never_reveals_or_never_seals_loses_a_bond_for_silence(
    staked, dispute, worker, stranger
):
    job_id, members = dispute(appeal=True)
    speaker, sealer, absent = members
    spoken, sealed = Vote(job_id, worker, speaker, False), Vote(job_id, worker, sealer, True)
    spoken.commit(staked)
    sealed.commit(staked)  # `absent` seals nothing
    advance(VERIFY_WINDOW + 1)
    spoken.reveal(staked)
    deadline = staked.dispute(job_id, worker)["deadline"]
    with brownie.reverts(err("VotingStillOpen", job_id, worker, deadline + VERIFY_WINDOW)):
        staked.resolveDispute(job_id, worker, {"from": stranger})
    advance(VERIFY_WINDOW)
    with brownie.reverts(err("RevealsClosed", job_id, worker, deadline + VERIFY_WINDOW)):
        sealed.reveal(staked)  # too late to reveal now that it would lose
    tx = staked.resolveDispute(job_id, worker, {"from": stranger})
    assert tx.events["DisputeResolved"]["fraud"] is False  # one honest vote against none
    assert slashes(tx)[sealer] == slashes(tx)[absent] == (SILENCE, B)
    # The only member that spoke takes the whole fee and both silent members' bonds.
    assert panel_paid(tx) == (worker, B, 2 * B, 0)
    assert holdings(staked, speaker) == (3 * B, MIN_STAKE)
    assert holdings(staked, sealer) == holdings(staked, absent) == (0, MIN_STAKE - B)


def test_finding_6_a_panel_drawn_just_before_the_first_deadline_gets_a_full_commit_window(
    staked, artist, worker, verifier, stranger, jurors
):
    """The panel is drawn a minute before the dispute's first deadline (two verification windows
    from its opening): the members' commit window runs one verification window from the draw, so
    they seal and reveal in time, past that first deadline, and nobody is slashed for a silence
    the draw's timing forced on it."""
    job_id, _ = escalate(staked, artist, worker, stranger, jurors, appeal=True, draw=False)
    first_deadline = staked.dispute(job_id, worker)["deadline"]
    advance(2 * VERIFY_WINDOW - 60)
    members = draw_panel(staked, job_id, worker, stranger)
    drawn_at = web3.eth.get_block("latest")["timestamp"]
    assert drawn_at <= first_deadline
    deadline = staked.dispute(job_id, worker)["deadline"]
    assert deadline == drawn_at + VERIFY_WINDOW > first_deadline
    votes = [Vote(job_id, worker, m, False) for m in members]
    for v in votes[:2]:
        v.commit(staked)
    advance(VERIFY_WINDOW - 60)  # the last member seals late in its own window
    assert chain.time() > first_deadline
    votes[2].commit(staked)
    assert chain.time() <= deadline
    for v in votes:  # every member sealed: the reveals are open
        v.reveal(staked)
    tx = staked.resolveDispute(job_id, worker, {"from": stranger})
    assert tx.events["DisputeResolved"]["fraud"] is False
    # Only the false accuser is slashed; every member revealed and is paid its share of the fee.
    assert slashes(tx) == {verifier: (FALSE_ACCUSATION, FALSE_VERDICT)}
    assert not any(reason == SILENCE for reason, _ in slashes(tx).values())
    fee_each, bonds_each, remainder = panel_pay(B, 3, 3, 0)
    assert panel_paid(tx) == (worker, fee_each, bonds_each, remainder)
    assert [holdings(staked, m) for m in members] == [(fee_each, MIN_STAKE)] * 3
    assert [staked.account(m)["duties"] for m in members] == [0, 0, 0]


@pytest.mark.parametrize("appeal", [True, False], ids=["appeal", "contest"])
def test_finding_6_a_panel_drawn_after_the_first_deadline_is_refused_and_the_verdict_stands(
    staked, artist, worker, verifier, treasury, stranger, jurors, appeal
):
    """Nobody drew the panel within the dispute's first window (two verification windows from its
    opening): a late draw is refused (it would restart the windows), nobody can vote, and after
    that deadline and one more verification window the dispute resolves with the verdict under
    dispute upheld. No member is drawn, so none is
    slashed or paid; the disputer's bond goes to the side the verdict favours."""
    job_id, _ = escalate(staked, artist, worker, stranger, jurors, appeal, draw=False)
    opened = staked.dispute(job_id, worker)
    first_deadline = opened["deadline"]
    ready_for_draw()  # the anchor block is mined: lateness is the only reason to refuse
    advance(2 * VERIFY_WINDOW + 1)
    assert chain.time() > first_deadline
    for drawer in (stranger, worker, artist):
        with brownie.reverts(err("VotingClosed", job_id, worker, first_deadline)):
            staked.drawPanel(job_id, worker, {"from": drawer})
    d = staked.dispute(job_id, worker)
    assert not d["drawn"] and d["deadline"] == first_deadline
    assert (d["member0"], d["member1"], d["member2"]) == (0, 0, 0)
    sealed = Vote(job_id, worker, jurors[0], False).commitment()
    with brownie.reverts(err("VotingClosed", job_id, worker, first_deadline)):
        staked.commitVote(job_id, worker, sealed, {"from": jurors[0]})
    assert [staked.account(j)["duties"] for j in jurors] == [0, 0, 0]
    reveal_end = first_deadline + VERIFY_WINDOW
    with brownie.reverts(err("VotingStillOpen", job_id, worker, reveal_end)):
        staked.resolveDispute(job_id, worker, {"from": stranger})
    advance(VERIFY_WINDOW)
    assert chain.time() > reveal_end
    parties = (artist, worker, verifier, treasury, *jurors)
    before = {p: holdings(staked, p) for p in parties}
    escrow = staked.job(job_id)["escrow"]
    tx = staked.resolveDispute(job_id, worker, {"from": stranger})
    fraud = appeal  # the verdict under dispute: a fail appealed, a pass contested
    resolved = tx.events["DisputeResolved"]
    assert (resolved["fraud"], resolved["votesFraud"], resolved["votesHonest"]) == (fraud, 0, 0)
    beneficiary = artist if fraud else worker
    assert panel_paid(tx) == (beneficiary, 0, 0, B)  # no member: the whole bond, no forfeits
    assert not any(m in slashes(tx) for m in jurors)
    assert staked.seat(job_id, worker)["state"] == (REJECTED if fraud else PAID)
    gained = {p: staked.balanceOf(p) - before[p][0] for p in parties}
    assert all(holdings(staked, j) == before[j] == (0, MIN_STAKE) for j in jurors)
    vfee = verifier_fee(TILES)
    if fraud:  # the fail stands: the worker is slashed, the artist gets its bond and the rest
        slashed = fraud_slash(MIN_STAKE, collateral(TILES, PRICE))
        assert slashes(tx) == {worker: (FRAUD, slashed)}
        assert gained[verifier] == vfee + slashed // 2
        assert gained[artist] == escrow - vfee + slashed - slashed // 2 + B
        assert gained[treasury] == 0
    else:  # the pass stands: the worker is paid and gets the artist's bond
        assert slashes(tx) == {}
        assert gained[worker] == PAY + B
        assert gained[verifier] == vfee
        assert gained[treasury] == protocol_fee(TILES, PRICE)
    assert staked.dispute(job_id, worker)["bond"] == 0 and staked.job(job_id)["escrow"] == 0


@pytest.mark.parametrize("appeal", [True, False], ids=["appeal", "contest"])
def test_finding_6_a_silent_panel_pays_the_treasury_not_the_side_its_silence_favours(
    staked, dispute, artist, worker, verifier, treasury, stranger, appeal
):
    """Silence upholds the verdict under dispute, so the silent members' forfeited stakes must not
    go to the side that verdict favours (it could bribe the panel to stay silent, and be paid
    back by their slashes): they go to the treasury. That side gets only the disputer's lost
    bond, the panel's fee that no member earned."""
    job_id, members = dispute(appeal=appeal)
    advance(2 * VERIFY_WINDOW + 1)  # nobody sealed; the commit and reveal windows are over
    parties = (artist, worker, verifier, treasury)
    before = {p: staked.balanceOf(p) for p in parties}
    escrow = staked.job(job_id)["escrow"]
    tx = staked.resolveDispute(job_id, worker, {"from": stranger})
    fraud = appeal  # silence upholds the verdict under dispute
    assert tx.events["DisputeResolved"]["fraud"] is fraud
    beneficiary = artist if fraud else worker
    assert {m: slashes(tx)[m] for m in members} == dict.fromkeys(members, (SILENCE, B))
    assert panel_paid(tx) == (beneficiary, 0, 0, B)
    gained = {p: staked.balanceOf(p) - before[p] for p in parties}
    assert all(holdings(staked, m) == (0, MIN_STAKE - B) for m in members)
    if fraud:  # a final fail: the artist gets the worker's slash (half of it) and its bond
        slashed = fraud_slash(MIN_STAKE, collateral(TILES, PRICE))
        vfee = verifier_fee(TILES)
        assert gained[verifier] == vfee + slashed // 2
        assert gained[artist] == escrow - vfee + slashed - slashed // 2 + B
        assert gained[treasury] == 3 * B
    else:  # the pass stands: the worker is paid and gets the artist's bond
        assert gained[worker] == PAY + B
        assert gained[treasury] == 3 * B + protocol_fee(TILES, PRICE)


def test_finding_6_a_panel_member_cannot_withdraw_its_stake_before_the_verdict(
    staked, dispute, worker, stranger
):
    job_id, members = dispute(appeal=True)
    assert [staked.account(m)["duties"] for m in members] == [1, 1, 1]
    honest, liar = members[0], members[2]
    for m in (honest, liar):  # both take all their stake out of the pool at once
        staked.requestUnstake(MIN_STAKE, {"from": m})
    cast_votes(staked, job_id, worker, {honest: False, members[1]: False, liar: True})
    advance(UNSTAKE_DELAY + 1)  # the unstake delay is over, the verdict is not given yet
    for m in (honest, liar):
        with brownie.reverts(err("DutiesOpen", m, 1)):
            staked.withdrawStake({"from": m})
    tx = staked.resolveDispute(job_id, worker, {"from": stranger})
    assert slashes(tx)[liar] == (OUTVOTED, B)  # unstaking stake stays slashable
    assert [staked.account(m)["duties"] for m in members] == [0, 0, 0]
    tx = staked.withdrawStake({"from": honest})
    assert tx.events["StakeWithdrawn"]["amount"] == MIN_STAKE
    tx = staked.withdrawStake({"from": liar})
    assert tx.events["StakeWithdrawn"]["amount"] == MIN_STAKE - B


# -- every party's money, exactly


def expected_resolution(appeal, ballot, parties, escrow, worker_bonded, verifier_bonded):
    """The docs' money rules for a resolution, restated: ({party: (balance, bonded) change},
    fraud, PanelPaid's figures, {member: slash reason})."""
    artist, worker, verifier, treasury = (parties[k] for k in ("artist", "worker", "verifier",
                                                             "treasury"))  # fmt: skip
    revealed = [m for m, b in ballot.items() if isinstance(b, bool)]
    votes_fraud = sum(1 for m in revealed if ballot[m])
    votes_honest = len(revealed) - votes_fraud
    fraud = votes_fraud > votes_honest if votes_fraud != votes_honest else appeal
    winners = [m for m in revealed if ballot[m] == fraud]
    losers = [m for m in ballot if m not in winners]
    delta: defaultdict[object, list[int]] = defaultdict(lambda: [0, 0])
    seat_collateral = collateral(TILES, PRICE)
    pay, vfee, pfee = PAY, verifier_fee(TILES), protocol_fee(TILES, PRICE)
    false_verdict = verifier_bonded * FALSE_ACCUSATION_BPS // BPS
    if appeal and fraud:  # a final fail: the worker's bond is the panel's fee
        fee = B
        slashed = fraud_slash(worker_bonded, seat_collateral)
        delta[worker][1] -= slashed
        share = (slashed // 2) // (len(winners) + 1)  # the fraud voters and the failing verifier
        for m in winners:
            delta[m][0] += share
        delta[verifier][0] += vfee + share
        delta[artist][0] += slashed - share * (len(winners) + 1) + escrow - vfee
    elif appeal:  # the worker's bond back; the false accuser's slash pays the fee
        delta[verifier][1] -= false_verdict
        fee = min(B, false_verdict)
        delta[worker][0] += B + false_verdict - fee + pay
        delta[treasury][0] += pfee
        delta[artist][0] += escrow - pay - pfee  # the false accuser's fee included
    elif fraud:  # the artist's bond back; the worker's slash pays the fee
        delta[artist][0] += B
        delta[verifier][1] -= false_verdict
        delta[artist][0] += false_verdict
        slashed = fraud_slash(worker_bonded, seat_collateral)
        delta[worker][1] -= slashed
        fee = min(B, slashed)
        share = ((slashed - fee) // 2) // len(winners)
        for m in winners:
            delta[m][0] += share
        delta[artist][0] += slashed - fee - share * len(winners) + escrow
    else:  # the artist's bond is the panel's fee
        fee = B
        delta[worker][0] += pay
        delta[verifier][0] += vfee
        delta[treasury][0] += pfee
        delta[artist][0] += escrow - pay - vfee - pfee
    for m in losers:
        delta[m][1] -= B  # every member has more than a bond staked
    forfeited = B * len(losers)
    fee_each, bonds_each, remainder = panel_pay(fee, len(revealed), len(winners), forfeited)
    delta[treasury][0] += panel_treasury_share(len(winners), forfeited)
    for m in revealed:
        delta[m][0] += fee_each
    for m in winners:
        delta[m][0] += bonds_each
    beneficiary = artist if fraud else worker
    delta[beneficiary][0] += remainder
    reasons = {m: OUTVOTED if m in revealed else SILENCE for m in losers}
    return delta, fraud, (beneficiary, fee_each, bonds_each, remainder), reasons


BALLOTS: dict[str, tuple[bool, list[bool | str | None]]] = {
    # appeal: the worker appeals a fail; True is a fraud vote
    "appeal-won-one-outvoted": (True, [False, False, True]),
    "appeal-lost-one-outvoted": (True, [True, True, False]),
    "appeal-tie-and-silence": (True, [False, True, None]),
    "appeal-one-voice": (True, [False, SEALED_ONLY, None]),
    # contest: the artist contests a pass
    "contest-won-one-silent": (False, [True, True, SEALED_ONLY]),
    "contest-won-unanimous": (False, [True, True, True]),
    "contest-lost-one-outvoted": (False, [True, False, False]),
    "contest-lost-unanimous": (False, [False, False, False]),
    "contest-panel-all-silent": (False, [None, None, None]),
    "appeal-panel-all-silent": (True, [None, None, None]),
    "appeal-panel-sealed-never-revealed": (True, [SEALED_ONLY, SEALED_ONLY, None]),
}


@pytest.mark.parametrize("case", BALLOTS)
def test_finding_6_panel_paid_and_every_balance_move_exactly_by_the_rules(
    staked, dispute, artist, worker, verifier, treasury, stranger, case
):
    appeal, entries = BALLOTS[case]
    job_id, members = dispute(appeal=appeal)
    ballot = dict(zip(members, entries, strict=True))
    votes = [Vote(job_id, worker, m, b is not False) for m, b in ballot.items() if b is not None]
    for v in votes:
        v.commit(staked)
    if None in entries:
        advance(VERIFY_WINDOW + 1)  # reveals open when the commit window closes
    for v in votes:
        if ballot[v.voter] != SEALED_ONLY:
            v.reveal(staked)
    if not all(isinstance(b, bool) for b in entries):
        advance(3 * VERIFY_WINDOW + 1)  # the verdict waits for the reveal window to close
    parties = {"artist": artist, "worker": worker, "verifier": verifier, "treasury": treasury,
               "stranger": stranger} | {f"member{k}": m for k, m in enumerate(members)}  # fmt: skip
    before = {p: holdings(staked, p) for p in parties.values()}
    market_balance, escrow = staked.balance(), staked.job(job_id)["escrow"]
    bond = staked.dispute(job_id, worker)["bond"]
    delta, fraud, paid, reasons = expected_resolution(
        appeal, ballot, parties, escrow, before[worker][1], before[verifier][1]
    )

    tx = staked.resolveDispute(job_id, worker, {"from": stranger})

    assert tx.events["DisputeResolved"]["fraud"] is fraud
    assert panel_paid(tx) == paid
    member_slashes = {m: s for m, s in slashes(tx).items() if m in ballot}
    assert member_slashes == {m: (reason, B) for m, reason in reasons.items()}
    worker_slash = slashes(tx).get(worker)
    assert worker_slash is None or worker_slash[0] == FRAUD
    for name, who in parties.items():
        balance, bonded = holdings(staked, who)
        change = (balance - before[who][0], bonded - before[who][1])
        assert change == tuple(delta[who]), f"{name} ({case})"
        assert staked.account(who)["duties"] == 0, f"{name} keeps a duty"
    # No ETH moved: what the escrow and the bond held, and every slash, is now credited.
    assert staked.balance() == market_balance
    assert staked.job(job_id)["escrow"] == 0 and staked.dispute(job_id, worker)["bond"] == 0
    credited = sum(staked.balanceOf(p) - before[p][0] for p in parties.values())
    slashed = sum(before[p][1] - holdings(staked, p)[1] for p in parties.values())
    assert credited == escrow + bond + slashed

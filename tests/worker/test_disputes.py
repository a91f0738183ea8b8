"""A verifier that lies about honest work is overruled: the worker appeals on its own, a panel of
staked workers re-checks the patches, seals its votes and reveals them, the majority reverses the
verdict, the liar is slashed for a false accusation, the worker is paid and so is every member
that revealed."""

from collections.abc import Sequence
from pathlib import Path

import pytest

from render_worker.duties.verifier import Verdict, Verifier
from render_worker.settings import PricingPolicy
from tests.worker.conftest import Stack, running_worker, tiny_job, wait_until
from tilefarm.adapters.chain.events import (
    DisputeOpened,
    DisputeResolved,
    PanelDrawn,
    PanelPaid,
    ResultsAttested,
    Slashed,
    VerifierDrawn,
    VoteCast,
    VoteCommitted,
)
from tilefarm.adapters.ipfs import KuboClient

pytestmark = [pytest.mark.stack, pytest.mark.blender]

NEVER_BIDS = PricingPolicy(wei_per_render_second=10**30)
FALSE_ACCUSATION = 2


class LyingVerifier(Verifier):
    """Seals evidence it never rendered, then fails every result without looking at it."""

    def evidence(self, job_id: int, worker: str, seed: str) -> str:
        return self.ipfs.add_bytes(b'{"verdict": "fail", "checked": nothing}')

    def stale_evidence(self, job_id: int, worker: str, seed: str, evidence_cid: str) -> str:
        return ""  # it seals its junk whatever the chain says

    def judge(self, job_id: int, worker: str, seed: str, evidence_cid: str) -> Verdict:
        return Verdict(passed=False, evidence_cid=evidence_cid, reason="failed without checking")


def test_a_lying_verifier_is_overruled_by_an_honest_panel_and_slashed(
    own_stack: Stack, block_producer: None, tmp_path: Path
) -> None:
    market = own_stack.market
    assert own_stack.status.ipfs_api_url
    ipfs = KuboClient(own_stack.status.ipfs_api_url)
    manifest_cid, params = tiny_job(
        ipfs, tmp_path, size=(32, 24), grid=(2, 2), samples=2, windows=(5, 60),
        verification={"patch_size": 8, "patch_count": 8},
    )  # fmt: skip
    accounts: Sequence[str] = own_stack.w3.eth.accounts  # web3 types it as a 1-tuple
    artist = accounts[1]
    job_id: int  # posted below
    events = lambda: market.events(job_id=job_id)  # noqa: E731

    with running_worker(own_stack, tmp_path, 3, pricing=NEVER_BIDS) as liar:
        liar.verifier = LyingVerifier(
            liar.ipfs, market, tmp_path / "liar-work", liar.children,
            liar.renderer.scene,
        )  # fmt: skip
        # The worker appeals only once the panel's members are staked (they are drawn then).
        with running_worker(own_stack, tmp_path, 2, appeal_failures=False) as honest_worker:
            worker = honest_worker.me
            job_id, _ = market.post_job(artist, params, manifest_cid)
            # The liar is the only other staked account, so it is drawn as the verifier; it seals
            # its evidence, the worker reveals its tiles, and the liar attests a failure.
            wait_until(lambda: any(isinstance(e, VerifierDrawn) for e in events()), 120, "a draw")
            lied = lambda: any(isinstance(e, ResultsAttested) and not e.passed for e in events())  # noqa: E731
            wait_until(lied, 120, "the lie")

        panel = [running_worker(own_stack, tmp_path, i, pricing=NEVER_BIDS) for i in (4, 5, 6)]
        for member in panel:
            member.__enter__()
        try:
            with running_worker(own_stack, tmp_path, 2):  # the worker comes back and appeals
                wait_until(
                    lambda: any(isinstance(e, DisputeResolved) for e in events()), 180, "verdict"
                )
        finally:
            for member in panel:
                member.__exit__(None, None, None)

    history = events()
    (opened,) = [e for e in history if isinstance(e, DisputeOpened)]
    assert opened.disputer == worker
    (drawn,) = [e for e in history if isinstance(e, PanelDrawn)]
    sealed = [e for e in history if isinstance(e, VoteCommitted)]
    votes = {e.voter: e.fraud for e in history if isinstance(e, VoteCast)}
    honest_members = {m for m in drawn.members if m != liar.me and int(m, 16) != 0}
    assert len(honest_members) >= 2
    assert {e.voter for e in sealed} >= honest_members  # each sealed its vote first
    # Every reveal came after the last seal (nobody could copy a vote).
    assert max(e.block_number for e in sealed) <= min(
        e.block_number for e in history if isinstance(e, VoteCast)
    )
    assert all(votes[m] is False for m in honest_members)  # each re-rendered and found it honest
    (resolved,) = [e for e in history if isinstance(e, DisputeResolved)]
    assert resolved.fraud is False and resolved.votes_honest >= 2
    slashes = [e for e in market.events() if isinstance(e, Slashed) and e.worker == liar.me]
    assert [s.reason for s in slashes] == [FALSE_ACCUSATION]
    assert market.seat(job_id, worker).state_name == "Paid"  # a panel's verdict pays at once
    seat = market.seat(job_id, worker)
    # The liar's slash pays the panel's fee (up to a dispute bond); every member that revealed
    # got an equal share of it.
    bond = market.config().dispute_bond
    fee = min(bond, slashes[0].amount)
    (paid,) = [e for e in history if isinstance(e, PanelPaid)]
    assert paid.beneficiary == worker and paid.fee_each == fee // len(votes)
    # Paid its tiles, plus the liar's slash less the panel's fee, its bond back.
    assert (
        market.balance_of(worker) >= seat.tile_count * seat.price_per_tile + slashes[0].amount - fee
    )

"""Applying market events to the read tables, mirroring the contract's own bookkeeping.

Each handler does to the job, seat, dispute and account rows what the contract did to its storage
when it emitted the event, so that the views equal `job()`, `seat()`, `dispute()`, `account()` and
`balanceOf()` read from the chain. It also writes the money ledger: every wei that enters a job
(deposit, bid bonds, dispute bonds, slashed stake) and every wei credited out of it, to whom and
why. Several transfers are not in any event's arguments (a revealed bid's bond back, the failing
verifier's fee on a rejection, the shares of a slash among honest verifiers); they are recomputed
here with the contract's own formulas from the config and the rows.

Events of one transaction arrive in emission order, so a handler may rely on what earlier events
of the same transaction did (a `DisputeResolved` precedes the `Slashed` of the lying verifier).
"""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.db.chain_models import (
    AccountView,
    ChainEvent,
    DisputeView,
    JobView,
    LedgerEntry,
    SeatView,
)
from tilefarm.chain import events as ev
from tilefarm.chain.bindings import MarketConfig
from tilefarm.errors import TilefarmError

BPS = 10_000
ZERO_HASH = "0x" + "00" * 32
ZERO_ADDRESS = "0x" + "00" * 20


class UnknownMarketEvent(TilefarmError):
    """The market emitted an event the indexer has no projection rule for."""


@dataclass(frozen=True)
class Position:
    """Where the event being applied sits on the chain."""

    block_number: int
    log_index: int
    tx_hash: str
    timestamp: int


# Which method of `Projector` applies each event.
HANDLERS: dict[type[ev.MarketEvent], str] = {
    ev.Staked: "_staked",
    ev.UnstakeRequested: "_unstake_requested",
    ev.StakeWithdrawn: "_stake_withdrawn",
    ev.Slashed: "_slashed",
    ev.JobPosted: "_job_posted",
    ev.JobCancelled: "_job_cancelled",
    ev.JobCompleted: "_job_completed",
    ev.Withdrawn: "_withdrawn",
    ev.BidCommitted: "_bid_committed",
    ev.BidRevealed: "_bid_revealed",
    ev.TilesAssigned: "_tiles_assigned",
    ev.BidOutbid: "_bid_outbid",
    ev.BidsSettled: "_bids_settled",
    ev.BondReclaimed: "_bond_reclaimed",
    ev.ResultsCommitted: "_results_committed",
    ev.VerifierDrawn: "_verifier_drawn",
    ev.VerifierDrawDeferred: "_verifier_draw_deferred",
    ev.ResultsAttested: "_results_attested",
    ev.ResultsAccepted: "_results_accepted",
    ev.ResultsRejected: "_results_rejected",
    ev.WorkerTimedOut: "_worker_timed_out",
    ev.VerifierReplaced: "_verifier_replaced",
    ev.DisputeOpened: "_dispute_opened",
    ev.PanelDrawn: "_panel_drawn",
    ev.PanelDrawDeferred: "_panel_draw_deferred",
    ev.VoteCast: "_vote_cast",
    ev.DisputeResolved: "_dispute_resolved",
}


class Projector:
    """Applies decoded events to the read tables of one session."""

    def __init__(self, session: Session, config: MarketConfig) -> None:
        self.s = session
        self.config = config

    def apply(self, event: ev.MarketEvent, at: Position) -> None:
        """Apply one event (whose raw row the caller stores)."""
        name = HANDLERS.get(type(event))
        if name is None:
            # Stop rather than skip: views that silently miss an event would lie about money.
            raise UnknownMarketEvent(
                f"the indexer has no rule for {type(event).__name__} (block {at.block_number}); "
                "add one to marketplace.indexer.projection before indexing this market"
            )
        getattr(self, name)(event, at)

    # ------------------------------------------------------------------ rows and money

    def _job(self, job_id: int, at: Position) -> JobView:
        job = self.s.get(JobView, job_id)
        if job is None:  # only possible if the events table was tampered with
            raise LookupError(f"event at block {at.block_number} names unknown job {job_id}")
        job.updated_block = at.block_number
        return job

    def _seat(self, job_id: int, worker: str) -> SeatView:
        seat = self.s.get(SeatView, (job_id, worker))
        if seat is None:
            raise LookupError(f"no seat of {worker} in job {job_id}")
        return seat

    def _dispute(self, job_id: int, worker: str) -> DisputeView:
        dispute = self.s.get(DisputeView, (job_id, worker))
        if dispute is None:
            raise LookupError(f"no dispute of {worker} in job {job_id}")
        return dispute

    def _account(self, address: str) -> AccountView:
        account = self.s.get(AccountView, address)
        if account is None:
            account = AccountView(
                address=address,
                stake=0,
                unstaking=0,
                balance=0,
                unlock_at=0,
                tiles_accepted=0,
                tiles_rejected=0,
                timeouts=0,
                slashes=0,
                pool_slot=0,
                withdrawn=0,
                earned=0,
            )
            self.s.add(account)
        return account

    def _ledger(
        self,
        at: Position,
        job_id: int,
        direction: str,
        party: str,
        role: str,
        reason: str,
        amount: int,
    ) -> None:
        if amount == 0:
            return
        self.s.add(
            LedgerEntry(
                job_id=job_id,
                block_number=at.block_number,
                log_index=at.log_index,
                direction=direction,
                party=party,
                role=role,
                reason=reason,
                amount=amount,
            )
        )

    def _pay_in(
        self, at: Position, job_id: int, party: str, role: str, reason: str, amount: int
    ) -> None:
        self._ledger(at, job_id, "in", party, role, reason, amount)

    def _credit(
        self, at: Position, job_id: int, party: str, role: str, reason: str, amount: int
    ) -> None:
        """The contract's `_credit`: the party's withdrawable balance grows; the job pays out."""
        if amount == 0 or party == ZERO_ADDRESS:
            return
        account = self._account(party)
        account.balance += amount
        account.earned += amount
        self._ledger(at, job_id, "out", party, role, reason, amount)

    def _fee_per_tile(self, price: int) -> int:
        return price * self.config.protocol_fee_bps // BPS

    def _close_seat(self, job: JobView, at: Position) -> None:
        """The contract's `_closeSeat`; its `JobCompleted` carries the amounts."""
        job.open_seats -= 1

    def _pay_fraud(
        self, at: Position, job: JobView, amount: int, honest: list[str], reason: str
    ) -> None:
        """The contract's `_payFraud`: half to the honest verifiers, the rest to the artist."""
        if honest:
            share = (amount // 2) // len(honest)
            for who in honest:
                self._credit(at, job.job_id, who, "verifier", reason, share)
            amount -= share * len(honest)
        self._credit(at, job.job_id, job.artist, "artist", reason, amount)

    def _fraud_voters(self, dispute: DisputeView | None, fraud: bool) -> list[str]:
        if dispute is None:
            return []
        return [m for m in dispute.members if m in dispute.votes and dispute.votes[m] == fraud]

    # ------------------------------------------------------------------ registry

    def _staked(self, e: ev.Staked, at: Position) -> None:
        account = self._account(e.worker)
        account.stake = e.total_stake
        if account.pool_slot == 0:
            self.s.flush()
            taken = self.s.scalar(
                select(AccountView.pool_slot).order_by(AccountView.pool_slot.desc())
            )
            account.pool_slot = (taken or 0) + 1

    def _unstake_requested(self, e: ev.UnstakeRequested, at: Position) -> None:
        account = self._account(e.worker)
        account.stake -= e.amount
        account.unstaking += e.amount
        account.unlock_at = e.unlock_at

    def _stake_withdrawn(self, e: ev.StakeWithdrawn, at: Position) -> None:
        self._account(e.worker).unstaking = 0

    def _slashed(self, e: ev.Slashed, at: Position) -> None:
        bps = (
            self.config.fraud_slash_bps,
            self.config.late_slash_bps,
            self.config.false_accusation_slash_bps,
        )[e.reason]
        account = self._account(e.worker)
        from_stake = account.stake * bps // BPS
        from_unstaking = account.unstaking * bps // BPS
        account.stake -= from_stake
        account.unstaking -= from_unstaking
        account.slashes += 1
        reason = ev.SLASH_REASONS[e.reason]
        role = "verifier" if reason == "FalseAccusation" else "worker"
        self._pay_in(at, e.job_id, e.worker, role, f"slash:{reason}", e.amount)
        if reason == "FalseAccusation":
            # Emitted by `resolveDispute` of a won appeal, right after its `DisputeResolved`:
            # the slash goes to the worker the lying verifier failed.
            dispute = self.s.scalars(
                select(DisputeView).where(
                    DisputeView.job_id == e.job_id, DisputeView.resolved_tx == at.tx_hash
                )
            ).one()
            self._credit(at, e.job_id, dispute.worker, "worker", "false_accusation", e.amount)

    def _withdrawn(self, e: ev.Withdrawn, at: Position) -> None:
        account = self._account(e.account)
        account.balance -= e.amount
        account.withdrawn += e.amount

    # ------------------------------------------------------------------ escrow

    def _job_posted(self, e: ev.JobPosted, at: Position) -> None:
        p = e.params
        self.s.add(
            JobView(
                job_id=e.job_id,
                artist=e.artist,
                manifest_cid=e.manifest_cid,
                status="Bidding",
                tile_count=p.tile_count,
                frame_count=p.frame_count,
                max_price_per_tile=p.max_price_per_tile,
                verify_fee_per_tile=p.verify_fee_per_tile,
                bid_bond=p.bid_bond,
                bid_window=p.bid_window,
                reveal_window=p.reveal_window,
                render_window=p.render_window,
                verify_window=p.verify_window,
                deposit=e.deposit,
                escrow=e.deposit,
                fees_due=0,
                open_seats=0,
                commits=0,
                reveals=0,
                bid_end=e.bid_end,
                reveal_end=e.reveal_end,
                render_deadline=0,
                posted_block=at.block_number,
                posted_at=at.timestamp,
                updated_block=at.block_number,
            )
        )
        self._account(e.artist)
        self._pay_in(at, e.job_id, e.artist, "artist", "deposit", e.deposit)

    def _job_cancelled(self, e: ev.JobCancelled, at: Position) -> None:
        job = self._job(e.job_id, at)
        job.escrow = 0
        job.status = "Cancelled"
        self._credit(at, job.job_id, job.artist, "artist", "cancel_refund", e.refund)

    def _job_completed(self, e: ev.JobCompleted, at: Position) -> None:
        job = self._job(e.job_id, at)
        job.escrow = 0
        job.fees_due = 0
        job.status = "Completed"
        self._credit(
            at, job.job_id, self.config.treasury, "treasury", "protocol_fee", e.protocol_fee
        )
        self._credit(at, job.job_id, job.artist, "artist", "completion_refund", e.artist_refund)

    # ------------------------------------------------------------------ bidding

    def _bid_committed(self, e: ev.BidCommitted, at: Position) -> None:
        job = self._job(e.job_id, at)
        job.commits += 1
        self.s.add(
            SeatView(
                job_id=e.job_id,
                worker=e.bidder,
                state="None",
                commitment=e.commitment,
                hash=e.commitment,
                price_per_tile=0,
                bid_tiles=0,
                first_tile=0,
                tile_count=0,
                round=0,
                anchor_block=0,
                deadline=0,
                committed_block=at.block_number,
                payment=0,
                verifier_fee=0,
                slashed=0,
            )
        )
        self._account(e.bidder)
        self._pay_in(at, job.job_id, e.bidder, "bidder", "bid_bond", job.bid_bond)

    def _bid_revealed(self, e: ev.BidRevealed, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.bidder)
        seat.state = "Revealed"
        seat.price_per_tile = e.price_per_tile
        seat.bid_tiles = e.tile_count
        seat.tile_count = e.tile_count
        job.reveals += 1
        self._credit(at, job.job_id, e.bidder, "bidder", "bid_bond_return", job.bid_bond)

    def _tiles_assigned(self, e: ev.TilesAssigned, at: Position) -> None:
        self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.state = "Assigned"
        seat.first_tile = e.first_tile
        seat.tile_count = e.tile_count

    def _bid_outbid(self, e: ev.BidOutbid, at: Position) -> None:
        self._job(e.job_id, at)
        self._seat(e.job_id, e.bidder).state = "Outbid"

    def _bids_settled(self, e: ev.BidsSettled, at: Position) -> None:
        job = self._job(e.job_id, at)
        forfeited = (job.commits - job.reveals) * job.bid_bond
        job.escrow = job.escrow + forfeited - e.artist_refund
        job.open_seats = e.winners
        if e.winners == 0:
            job.status = "Expired"
        else:
            job.status = "Active"
            job.render_deadline = e.render_deadline
        self._credit(at, job.job_id, job.artist, "artist", "settlement_refund", e.artist_refund)

    def _bond_reclaimed(self, e: ev.BondReclaimed, at: Position) -> None:
        job = self._job(e.job_id, at)
        job.commits -= 1
        self._seat(e.job_id, e.bidder).state = "Reclaimed"
        self._credit(at, job.job_id, e.bidder, "bidder", "bid_bond_reclaim", e.amount)

    # ------------------------------------------------------------------ results

    def _results_committed(self, e: ev.ResultsCommitted, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.state = "Submitted"
        seat.hash = e.merkle_root
        seat.results_cid = e.results_cid
        seat.anchor_block = e.anchor_block
        seat.deadline = at.timestamp + job.verify_window

    def _verifier_drawn(self, e: ev.VerifierDrawn, at: Position) -> None:
        self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.verifier = e.verifier
        seat.seed = e.seed

    def _verifier_draw_deferred(self, e: ev.VerifierDrawDeferred, at: Position) -> None:
        self._job(e.job_id, at)
        self._seat(e.job_id, e.worker).anchor_block = e.anchor_block

    def _results_attested(self, e: ev.ResultsAttested, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.verifier = e.verifier  # `attest` draws lazily when nobody called `drawVerifier`
        seat.attested_by = e.verifier
        seat.passed = e.passed
        seat.evidence_cid = e.evidence_cid
        if not e.passed:
            seat.state = "Failed"
            seat.deadline = at.timestamp + job.verify_window

    def _results_accepted(self, e: ev.ResultsAccepted, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.state = "Accepted"
        seat.deadline = at.timestamp + job.verify_window
        dispute = self.s.get(DisputeView, (e.job_id, e.worker))
        if dispute is not None and dispute.resolved_tx == at.tx_hash:
            seat.deadline = 0  # a won appeal leaves no window to contest in
        seat.payment = e.payment
        seat.verifier_fee = e.verifier_fee
        job.escrow -= e.payment + e.verifier_fee
        job.fees_due += seat.tile_count * self._fee_per_tile(seat.price_per_tile)
        self._account(e.worker).tiles_accepted += seat.tile_count
        self._credit(at, job.job_id, e.worker, "worker", "tile_payment", e.payment)
        if e.verifier_fee:
            assert seat.verifier is not None  # the contract pays a fee only to a drawn verifier
            self._credit(at, job.job_id, seat.verifier, "verifier", "verifier_fee", e.verifier_fee)
        self._close_seat(job, at)

    def _results_rejected(self, e: ev.ResultsRejected, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.slashed += e.slashed
        dispute = self.s.get(DisputeView, (e.job_id, e.worker))
        contested = seat.state == "Contested"
        seat.state = "Rejected"
        self._account(e.worker).tiles_rejected += seat.tile_count
        if contested:
            # The artist's contest of a paid acceptance: the slash makes it whole; its bond back.
            assert dispute is not None
            voters = self._fraud_voters(dispute, True)
            self._pay_fraud(at, job, e.slashed, voters, "fraud_slash_share")
            self._credit(
                at, job.job_id, dispute.disputer, "artist", "dispute_bond_return", dispute.bond
            )
            dispute.bond = 0
            return
        # `_reject`: the failing verifier keeps its fee; the slash (and a lost appeal's bond)
        # goes to the honest verifiers and the artist; the tiles' escrow returns at completion.
        fee = seat.tile_count * job.verify_fee_per_tile if seat.verifier else 0
        job.escrow -= fee
        seat.verifier_fee = fee
        if seat.verifier:
            self._credit(at, job.job_id, seat.verifier, "verifier", "verifier_fee", fee)
        honest: list[str] = []
        extra = 0
        if dispute is not None and dispute.resolved_tx == at.tx_hash:
            # A lost appeal: the fraud voters share with the failing verifier, plus the bond.
            honest = self._fraud_voters(dispute, True)
            extra = dispute.bond
            dispute.bond = 0
        if seat.verifier:
            honest.append(seat.verifier)
        self._pay_fraud(at, job, e.slashed + extra, honest, "fraud_slash_share")
        self._close_seat(job, at)

    def _worker_timed_out(self, e: ev.WorkerTimedOut, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.state = "TimedOut"
        seat.slashed += e.slashed
        self._account(e.worker).timeouts += 1
        self._credit(at, job.job_id, job.artist, "artist", "late_slash", e.slashed)
        self._close_seat(job, at)

    def _verifier_replaced(self, e: ev.VerifierReplaced, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        if e.silent_verifier != ZERO_ADDRESS:
            self._account(e.silent_verifier).timeouts += 1
        if e.round >= 3:
            # MAX_VERIFIER_ROUNDS: a ResultsAccepted without a fee follows; the contract leaves
            # the silent verifier's slot in the seat.
            return
        seat.round = e.round
        seat.verifier = None
        seat.seed = None
        seat.anchor_block = at.block_number + self.config.draw_delay
        seat.deadline = at.timestamp + job.verify_window

    # ------------------------------------------------------------------ disputes

    def _dispute_opened(self, e: ev.DisputeOpened, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        appeal = seat.state == "Failed"
        seat.state = "Disputed" if appeal else "Contested"
        existing = self.s.get(DisputeView, (e.job_id, e.worker))
        if existing is not None:
            # An artist contesting a won appeal: the contract rewrites only these fields of the
            # record and keeps the earlier panel and votes.
            existing.disputer = e.disputer
            existing.appeal = appeal
            existing.bond = e.bond
            existing.reason_cid = e.reason_cid
            existing.anchor_block = at.block_number + self.config.draw_delay
            existing.deadline = at.timestamp + 2 * job.verify_window
            existing.resolved = False
            existing.fraud = None
            existing.resolved_tx = None
        else:
            self.s.add(
                DisputeView(
                    job_id=e.job_id,
                    worker=e.worker,
                    disputer=e.disputer,
                    appeal=appeal,
                    bond=e.bond,
                    reason_cid=e.reason_cid,
                    anchor_block=at.block_number + self.config.draw_delay,
                    deadline=at.timestamp + 2 * job.verify_window,
                    members=[],
                    votes={},
                    votes_fraud=0,
                    votes_honest=0,
                    voted_mask=0,
                    drawn=False,
                    resolved=False,
                )
            )
        role = "worker" if appeal else "artist"
        self._pay_in(at, job.job_id, e.disputer, role, "dispute_bond", e.bond)

    def _panel_drawn(self, e: ev.PanelDrawn, at: Position) -> None:
        self._job(e.job_id, at)
        dispute = self._dispute(e.job_id, e.worker)
        dispute.members = [m for m in e.members if m != ZERO_ADDRESS]
        dispute.drawn = True

    def _panel_draw_deferred(self, e: ev.PanelDrawDeferred, at: Position) -> None:
        self._job(e.job_id, at)
        self._dispute(e.job_id, e.worker).anchor_block = e.anchor_block

    def _vote_cast(self, e: ev.VoteCast, at: Position) -> None:
        self._job(e.job_id, at)
        dispute = self._dispute(e.job_id, e.worker)
        dispute.votes = {**dispute.votes, e.voter: e.fraud}
        bit = 1 << dispute.members.index(e.voter)
        dispute.voted_mask |= bit
        if e.fraud:
            dispute.votes_fraud += 1
            dispute.voted_mask |= bit << 4
        else:
            dispute.votes_honest += 1

    def _dispute_resolved(self, e: ev.DisputeResolved, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        dispute = self._dispute(e.job_id, e.worker)
        dispute.resolved = True
        dispute.fraud = e.fraud
        dispute.resolved_tx = at.tx_hash
        if dispute.appeal and not e.fraud:
            # The verifier lied: its slash (next event) and the bond go to the worker, which is
            # then paid without a verifier fee (the `ResultsAccepted` that follows).
            self._credit(at, job.job_id, e.worker, "worker", "dispute_bond_return", dispute.bond)
            dispute.bond = 0
            seat.verifier = None
        elif not dispute.appeal and not e.fraud:
            seat.state = "Accepted"
            seat.deadline = 0
            self._credit(at, job.job_id, e.worker, "worker", "dispute_bond_award", dispute.bond)
            dispute.bond = 0
        # A fraud verdict is paid out by the `ResultsRejected` that follows.


def address_of(event: ev.MarketEvent) -> str | None:
    """The first address argument of an event: whose history it belongs to."""
    for name in ("worker", "bidder", "artist", "account"):
        value = getattr(event, name, None)
        if isinstance(value, str):
            return value
    return None


def stored(event: ev.MarketEvent, at: Position, block_hash: str) -> ChainEvent:
    """The raw row of an event."""
    args = event.model_dump(mode="json", exclude={"block_number", "transaction_hash", "log_index"})
    return ChainEvent(
        block_number=at.block_number,
        log_index=at.log_index,
        tx_hash=at.tx_hash,
        block_hash=block_hash,
        timestamp=at.timestamp,
        name=type(event).__name__,
        job_id=getattr(event, "job_id", None),
        actor=address_of(event),
        args=args,
    )


def loaded(row: ChainEvent) -> tuple[ev.MarketEvent, Position]:
    """The event model and position of a stored row."""
    model = ev.EVENT_MODELS[row.name]
    event = model.model_validate(
        {
            **row.args,
            "block_number": row.block_number,
            "log_index": row.log_index,
            "transaction_hash": row.tx_hash,
        }
    )
    return event, Position(row.block_number, row.log_index, row.tx_hash, row.timestamp)

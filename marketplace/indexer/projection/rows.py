"""The rows the rules write and the contract's money formulas they share: job, seat, dispute and
account rows, the ledger (every wei into a job and out of it), credits, fraud payouts."""

from sqlalchemy.orm import Session

from marketplace.db.chain_models import AccountView, DisputeView, JobView, LedgerEntry, SeatView
from marketplace.indexer.projection.stored import Position
from tilefarm.adapters.chain.records import MarketConfig

BPS = 10_000
ZERO_HASH = "0x" + "00" * 32
ZERO_ADDRESS = "0x" + "00" * 20


class Rows:
    """The read tables of one session, and the bookkeeping every rule shares."""

    def __init__(self, session: Session, config: MarketConfig) -> None:
        self.s = session
        self.config = config
        # Posted jobs whose own round sold nothing, by the settling transaction: a
        # `JobCompleted` in that same transaction means the job expired (`_soldNothing`). A
        # transaction's events never span two batches, so this need not outlive the projector.
        self._sold_nothing: dict[int, str] = {}

    def _job(self, job_id: int, at: Position) -> JobView:
        job = self.s.get(JobView, job_id)
        if job is None:  # only possible if the events table was tampered with
            raise LookupError(f"event at block {at.block_number} names unknown job {job_id}")
        job.updated_block = at.block_number
        return job

    def _new_job(self, at: Position, **fields: object) -> JobView:
        """A job row (a posted job or a round) first seen at `at`: nothing bid, open or owed yet
        but what `fields` say."""
        empty: dict[str, object] = {
            "status": "Bidding", "fees_due": 0, "open_seats": 0, "commits": 0, "reveals": 0,
            "render_deadline": 0, "root": 0, "round": 0, "latest": 0, "open_rounds": 0,
            "max_rounds": 0, "rounds_left": 0, "final_deadline": 0, "reserve": 0,
            "next_max_price_per_tile": 0, "unsold": [], "offered": [],
        }  # fmt: skip
        seen = {"posted_block": at.block_number, "posted_at": at.timestamp}
        job = JobView(**{**empty, **seen, "updated_block": at.block_number, **fields})
        self.s.add(job)
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
                account_id=0,
                withdrawn=0,
                earned=0,
                backend=0,
                vram_mib=0,
            )
            self.s.add(account)
        return account

    def _funds(self, job: JobView, at: Position) -> JobView:
        """The contract's `_fundsOf`: the posted job whose escrow holds `job`'s money."""
        return job if job.root == 0 else self._job(job.root, at)

    def _ledger(
        self,
        at: Position,
        job: JobView,
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
                job_id=job.posted_id,
                round_id=job.job_id,
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
        self, at: Position, job: JobView, party: str, role: str, reason: str, amount: int
    ) -> None:
        self._ledger(at, job, "in", party, role, reason, amount)

    def _credit(
        self, at: Position, job: JobView, party: str, role: str, reason: str, amount: int
    ) -> None:
        """The contract's `_credit`: the party's withdrawable balance grows; the job pays out."""
        if amount == 0 or party == ZERO_ADDRESS:
            return
        account = self._account(party)
        account.balance += amount
        account.earned += amount
        self._ledger(at, job, "out", party, role, reason, amount)

    def _into_reserve(self, job: JobView, amount: int, at: Position) -> None:
        """The contract's `_intoReserve`: slashed stake joins the posted job's escrow and reserve
        (it pays for the tiles' next round first, and is the artist's at the end)."""
        funds = self._funds(job, at)
        funds.escrow += amount
        funds.reserve += amount

    def _collateral(self, tiles: int, price: int) -> int:
        """The contract's `_collateral`: the stake a bid or seat of `tiles` at `price` locks."""
        return self.config.collateral(tiles, price)

    def _fee_per_tile(self, price: int) -> int:
        return price * self.config.protocol_fee_bps // BPS

    def _draw_bounty(self, job: JobView, seat: SeatView) -> int:
        """The contract's `_drawBounty`: what each round's `drawVerifier` pays its caller."""
        return seat.tile_count * job.verify_fee_per_tile * self.config.draw_bounty_bps // BPS

    def _verifier_fee(self, job: JobView, seat: SeatView) -> int:
        """The contract's `_verifierFee`: the seat's verifier fee less every round's bounty."""
        return seat.tile_count * job.verify_fee_per_tile - self._draw_bounty(job, seat) * (
            seat.round + 1
        )

    def _panel_fee_out_of(self, slashed: int) -> int:
        """The contract's `_feeOutOf`: a panel's fee taken out of the losing side's slash (the
        dispute bond, or all of a smaller slash)."""
        return min(slashed, self.config.dispute_bond)

    def _close_seat(self, job: JobView, at: Position) -> None:
        """The contract's `_closeSeat`: a round whose last seat closed is completed (and no
        longer open in its posted job); a posted job's end comes with its `JobCompleted`."""
        job.open_seats -= 1
        if job.open_seats == 0 and job.root != 0:
            job.status = "Completed"
            self._job(job.root, at).open_rounds -= 1

    def _pay_fraud(
        self, at: Position, job: JobView, amount: int, honest: list[str], reason: str
    ) -> None:
        """The contract's `_payFraud`: half to the honest verifiers, the rest (with the rounding
        dust) into the posted job's reserve."""
        if honest:
            share = (amount // 2) // len(honest)
            for who in honest:
                self._credit(at, job, who, "verifier", reason, share)
            amount -= share * len(honest)
        self._into_reserve(job, amount, at)

    def _fraud_voters(self, dispute: DisputeView | None, fraud: bool) -> list[str]:
        if dispute is None:
            return []
        return [m for m in dispute.members if m in dispute.votes and dispute.votes[m] == fraud]

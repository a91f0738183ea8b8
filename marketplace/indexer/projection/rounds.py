"""Projection rules, rounds: how re-offering's events change the read tables (`Projector`
applies them). See `contracts/market/Rounds.sol` and docs/protocol.md, "Rounds: every frame
finishes"."""

from marketplace.indexer.projection.rows import ZERO_ADDRESS, Rows
from marketplace.indexer.projection.stored import Position
from tilefarm.adapters.chain import events as ev

# `TilesReturned.cause`: the contract's SeatState the returning seat ended in (None: unsold).
RETURN_CAUSES = {0: "None", 9: "Rejected", 10: "TimedOut", 12: "Unverified"}


class RoundRules(Rows):
    """Tiles back among a job's unsold tiles, rounds opened over them (a job row of their own),
    the reserve topped up, re-offering ended."""

    def _tiles_returned(self, e: ev.TilesReturned, at: Position) -> None:
        job = self._job(e.job_id, at)
        job.unsold = [*job.unsold, [e.first_tile, e.tile_count]]
        if e.worker == ZERO_ADDRESS:
            return  # unsold by its round: nothing was owed for these tiles
        # The contract's `_returnTiles`: what the seat's escrow still holds for its tiles goes
        # back to the reserve: price and fee, and the verifier fee (less every verifier round's
        # draw bounty) unless a rejection paid the failing verifier its fee just before.
        round_ = self._job(e.round_id, at)
        seat = self._seat(e.round_id, e.worker)
        cause = RETURN_CAUSES.get(e.cause, str(e.cause))
        verifier_paid = cause == "Rejected" and seat.verifier is not None
        price = seat.price_per_tile
        back = seat.tile_count * (price + self._fee_per_tile(price))
        if not verifier_paid:
            back += self._verifier_fee(round_, seat)
        job.reserve += back

    def _round_opened(self, e: ev.RoundOpened, at: Position) -> None:
        # The contract's `reoffer`: a job record of its own over every unsold tile, its money
        # held by the posted job, which pays the opener's bounty out of its reserve.
        job = self._job(e.job_id, at)
        round_ = self._new_job(
            at, job_id=e.round_id, artist=job.artist, manifest_cid=job.manifest_cid,
            tile_count=e.tiles, frame_count=job.frame_count,
            max_price_per_tile=e.max_price_per_tile, verify_fee_per_tile=job.verify_fee_per_tile,
            bid_bond=e.bid_bond, bid_window=job.bid_window, reveal_window=job.reveal_window,
            render_window=job.render_window, verify_window=job.verify_window, deposit=0,
            escrow=0, bid_end=e.bid_end, reveal_end=e.reveal_end, root=job.job_id, round=e.round,
            offered=[[first, count] for first, count in e.tile_ranges()],
        )  # fmt: skip
        job.unsold = []
        job.rounds_left -= 1
        job.reserve -= e.bounty
        job.escrow -= e.bounty
        job.latest = e.round_id
        job.open_rounds += 1
        self._credit(at, round_, e.opener, "opener", "reoffer_bounty", e.bounty)

    def _job_topped_up(self, e: ev.JobToppedUp, at: Position) -> None:
        job = self._job(e.job_id, at)
        job.escrow += e.amount
        job.reserve += e.amount
        job.next_max_price_per_tile = e.max_price_per_tile
        self._pay_in(at, job, job.artist, "artist", "top_up", e.amount)

    def _reoffering_ended(self, e: ev.ReofferingEnded, at: Position) -> None:
        self._job(e.job_id, at).rounds_left = 0

"""Projection rules, bidding: how its events change the read tables (`Projector` applies them)."""

from marketplace.db.chain_models import SeatView
from marketplace.indexer.projection.rows import Rows
from marketplace.indexer.projection.stored import Position
from tilefarm.adapters.chain import events as ev


class BiddingRules(Rows):
    """Sealed bids: committed (locking collateral), revealed, outbid, settled, or forfeited;
    tiles assigned; bonds back."""

    def _bid_committed(self, e: ev.BidCommitted, at: Position) -> None:
        job = self._job(e.job_id, at)
        job.commits += 1
        self.s.add(
            SeatView(
                job_id=e.job_id,
                worker=e.bidder,
                state="None",
                commitment=e.commitment,
                hash=sealed_bid(e.commitment, e.tile_count),
                declared_tiles=e.tile_count,
                collateral=self._collateral(e.tile_count, job.max_price_per_tile),
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
        self._pay_in(at, job, e.bidder, "bidder", "bid_bond", job.bid_bond)

    def _bid_revealed(self, e: ev.BidRevealed, at: Position) -> None:
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.bidder)
        seat.state = "Revealed"
        seat.price_per_tile = e.price_per_tile
        seat.bid_tiles = e.tile_count
        seat.tile_count = e.tile_count
        job.reveals += 1
        self._credit(at, job, e.bidder, "bidder", "bid_bond_return", job.bid_bond)

    def _tiles_assigned(self, e: ev.TilesAssigned, at: Position) -> None:
        # The contract's `_assign`: the winner's tiles (at its price, with fee and verifier fee)
        # are owed to its seat now, out of the posted job's reserve (`settle` subtracts them all
        # at once; no event in between reads the reserve).
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.worker)
        seat.state = "Assigned"
        seat.first_tile = e.first_tile
        seat.tile_count = e.tile_count
        price = e.price_per_tile
        kept = e.tile_count * (price + self._fee_per_tile(price) + job.verify_fee_per_tile)
        self._funds(job, at).reserve -= kept

    def _bid_outbid(self, e: ev.BidOutbid, at: Position) -> None:
        self._job(e.job_id, at)
        self._seat(e.job_id, e.bidder).state = "Outbid"

    def _bids_settled(self, e: ev.BidsSettled, at: Position) -> None:
        # The escrow keeps everything; only the unrevealed bids' bonds, held apart until now, go
        # to the artist (`artist_refund`). What the round did not sell went back to the posted
        # job's unsold tiles (the `TilesReturned` just before).
        job = self._job(e.job_id, at)
        job.open_seats = e.winners
        self._credit(at, job, job.artist, "artist", "unrevealed_bonds", e.artist_refund)
        if e.winners != 0:
            job.status = "Active"
            job.render_deadline = e.render_deadline
        elif job.root != 0:
            # The contract's `_soldNothing` for a round: it expires and closes; the job may
            # complete (its `JobCompleted` follows).
            job.status = "Expired"
            self._job(job.root, at).open_rounds -= 1
        else:
            # A posted job that sold nothing waits for its next round, or expires at once: its
            # `JobCompleted`, in this very transaction, says which.
            job.status = "Active"
            self._sold_nothing[job.job_id] = at.tx_hash

    def _bond_reclaimed(self, e: ev.BondReclaimed, at: Position) -> None:
        job = self._job(e.job_id, at)
        job.commits -= 1
        self._seat(e.job_id, e.bidder).state = "Reclaimed"
        self._credit(at, job, e.bidder, "bidder", "bid_bond_reclaim", e.amount)

    def _bid_forfeited(self, e: ev.BidForfeited, at: Position) -> None:
        # `forfeitBid`: after the reveal window, an unrevealed bid's collateral is slashed (its
        # `Slashed`, reason Unrevealed, came just before) and credited to the artist. Its bond
        # stays counted among the unrevealed ones: it goes to the artist at settlement.
        job = self._job(e.job_id, at)
        seat = self._seat(e.job_id, e.bidder)
        seat.state = "Forfeited"
        seat.slashed = e.slashed
        self._credit(at, job, job.artist, "artist", "forfeited_collateral", e.slashed)


def sealed_bid(commitment: str, tile_count: int) -> str:
    """What the contract's seat stores for a sealed bid (`_sealedBid`): the commitment with its
    low 16 bits replaced by the declared tile count."""
    value = (int(commitment, 16) >> 16 << 16) | tile_count
    return "0x" + value.to_bytes(32, "big").hex()

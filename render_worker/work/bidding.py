"""The worker's side of the sealed-bid auction, one job at a time, from the database:

- `consider` a job just seen: skip it if the worker stopped bidding (its GPU was lost or its
  driver failed: `after_give_back`, until a restart), or if its manifest requires hardware this
  worker has not declared (a GPU, a backend, more GPU memory), else price it
  (`render_worker/work/pricing.py`), store the salt, commit the sealed bid, and have the job's
  Blender child warmed while the auction runs. A re-offer round is a job like any other, except
  to a worker barred from its posted job (a seat of it taken late or rejected): the contract
  refuses its bids there, so it does not bid;
- `reveal` the bid once the bid window is over, also once the worker stopped bidding (an unrevealed
  bid forfeits its bond and the collateral it locked at the job's maximum price);
- `settle` the bidding once every sealed bid is open or the reveal window is over. Anyone may
  settle; the cheapest bidder does it first and the others only `SETTLE_GRACE` seconds after the
  reveal window, so two workers rarely pay for the same settlement. A bidder that never revealed
  is left out of the ranking (the contract forfeits its bond to the artist);
- `reclaim_bond` of a job the artist cancelled after the worker's bid.

A stored salt is never replaced: after a crash or a reorganisation the same commitment is sent
again, so the bid that is revealed is always the one committed.
"""

import logging
import os
from collections.abc import Callable

from eth_account.typed_transactions.typed_transaction import TypedTransaction
from hexbytes import HexBytes
from sqlalchemy import String, cast, literal, select
from web3 import Web3

from render_worker.chain import calls
from render_worker.chain.purposes import Action, Purpose
from render_worker.chain.sender import TxSender
from render_worker.metrics import WorkerMetrics
from render_worker.settings import PricingPolicy
from render_worker.state.models import BidRow, JobRow, RoundRow, TxRow
from render_worker.state.stages import Stage
from render_worker.state.store import WorkerState
from render_worker.work.give_back import (
    STOPS_BIDDING,
    BiddingStopped,
    GiveBack,
    bidding_stopped,
    store_bidding_stopped,
)
from render_worker.work.machine import MachineProfile
from render_worker.work.manifests import Manifests
from render_worker.work.pricing import UINT16_MAX, JobOffer, decide_bid
from tilefarm.adapters.chain.bids import bid_commitment
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.records import Account, MarketConfig
from tilefarm.adapters.ipfs import IpfsError

log = logging.getLogger("render_worker")

SETTLE_GRACE = 5
# Stages of a job this worker bid on whose bidding it may settle once every sealed bid is open
# or the reveal window is over: a bidder that never reveals must not hold the job up.
SETTLES = (Stage.BID, Stage.REVEALED, Stage.WON, Stage.LOST)
# What the keys of sealed bids start with (`commitBid:<job>`).
_COMMIT_PREFIX = literal(f"{Action.COMMIT_BID.value}:")


class Bidder:
    """Bids of one worker (`me`) on one market."""

    def __init__(
        self,
        me: str,
        pricing: PricingPolicy,
        machine: MachineProfile,
        state: WorkerState,
        market: JobMarketClient,
        manifests: Manifests,
        sender: TxSender,
        warm: Callable[[int, str], None],
        metrics: WorkerMetrics,
    ) -> None:
        """`machine` is what the worker renders on and how fast; `warm(job_id, manifest_cid)`
        prepares the job's scene while the auction runs."""
        self.me = me
        self.pricing = pricing
        self.machine = machine
        self.state = state
        self.market = market
        self.manifests = manifests
        self.sender = sender
        self.warm = warm
        self.metrics = metrics
        self._config: MarketConfig | None = None
        self._account: Account | None = None
        self._balance: int | None = None  # the key's ETH, read once a pass
        self._spending = 0  # what its transactions in flight may spend of it

    def consider(self, job: JobRow, now: int) -> None:
        with self.state.session() as s:
            stored = s.get(BidRow, job.job_id)
        committed = self.sender.sent(Purpose(Action.COMMIT_BID, job.job_id))
        if stored is not None and committed is not None:
            # Committed before a crash or a reorganisation: the stored salt is the one to reveal.
            commitment = bytes.fromhex(stored.commitment[2:])
            self._commit(job.job_id, commitment, stored.price_per_tile, stored.tile_count)
            return
        stopped = self.stopped()
        if stopped is not None:
            reason = f"bidding stopped: {stopped.reason}; check the GPU and restart the worker"
            self.state.move(job.job_id, Stage.SKIPPED, reason)
            log.info("job %d: skipped, %s", job.job_id, reason)
            return
        if now >= job.bid_end:
            reason = "the bid window closed before we saw it"
            self.state.move(job.job_id, Stage.SKIPPED, reason)
            log.info("job %d: skipped, %s", job.job_id, reason)
            return
        with self.state.session() as s:
            known_round = s.get(RoundRow, job.job_id)
        # Only a round can bar: a posted job in its bidding has no seats yet.
        if known_round is not None and self.market.is_barred(known_round.job_id, self.me):
            root = known_round.job_id
            reason = f"barred from job {root}: a seat of ours in it was taken late or rejected"
            self.state.move(job.job_id, Stage.SKIPPED, reason)
            log.info("job %d: skipped, %s", job.job_id, reason)
            return
        try:
            manifest = self.manifests.get(job.manifest_cid)
        except (IpfsError, ValueError) as exc:
            self.state.move(job.job_id, Stage.SKIPPED, f"manifest unusable: {exc}")
            log.warning(
                "job %d: skipped, manifest %s unusable: %s", job.job_id, job.manifest_cid, exc
            )
            return
        unmet = manifest.requirements.unmet_by(self.machine.hardware)
        if unmet:
            self.state.move(job.job_id, Stage.SKIPPED, unmet)
            log.info("job %d: skipped, %s", job.job_id, unmet)
            return
        queued = sum(j.assigned_tiles for j in self.state.jobs(Stage.WON))
        offer = JobOffer(
            job_id=job.job_id,
            tile_count=job.tile_count,
            max_price_per_tile=job.max_price_per_tile,
            render_window_seconds=job.render_window,
        )
        decision = decide_bid(
            self.pricing, offer, manifest, self.machine.pixel_samples_per_minute, queued
        )
        log.info("job %d: %s", job.job_id, decision.reason)
        if not decision.bid:
            self.state.move(job.job_id, Stage.SKIPPED, decision.reason)
            return
        # A sealed bid locks its tiles' collateral at the job's maximum price until it is revealed.
        backed = self._backed_tiles(job.max_price_per_tile)
        if backed == 0:
            reason = "its free stake cannot lock one tile's collateral at the maximum price"
            self.state.move(job.job_id, Stage.SKIPPED, reason)
            log.info("job %d: skipped, %s", job.job_id, reason)
            return
        if backed < decision.tile_count:
            # The reveal would cut the bid to what the stake backs anyway; bid that at once.
            log.info("job %d: %d tiles, what the free stake backs", job.job_id, backed)
            decision = decision.model_copy(update={"tile_count": backed})
        # The bond is paid from the key's ETH, which the transactions in flight spend too.
        bond = self.market.job(job.job_id).bid_bond
        balance, spending = self._eth()
        if balance < bond:
            reason = f"its ETH ({balance} wei) cannot pay the bid bond ({bond} wei)"
            self.state.move(job.job_id, Stage.SKIPPED, reason)
            log.info("job %d: skipped, %s", job.job_id, reason)
            return
        if balance - spending < bond:
            log.info(
                "job %d: its ETH less what its transactions in flight spend cannot pay the bid "
                "bond yet; trying again once they are mined", job.job_id,
            )  # fmt: skip
            return
        self._spending += bond
        salt = os.urandom(32)
        commitment = bid_commitment(
            job.job_id, self.me, decision.price_per_tile, decision.tile_count, salt
        )
        with self.state.session() as s:  # the salt must survive a crash before the reveal
            s.merge(
                BidRow(
                    job_id=job.job_id,
                    price_per_tile=decision.price_per_tile,
                    tile_count=decision.tile_count,
                    salt="0x" + salt.hex(),
                    commitment="0x" + commitment.hex(),
                )
            )
        self._commit(job.job_id, commitment, decision.price_per_tile, decision.tile_count)
        if self.sender.sent(Purpose(Action.COMMIT_BID, job.job_id)) is not None:
            self.warm(job.job_id, job.manifest_cid)  # sent: the auction runs from now on

    def start_pass(self) -> None:
        """Forget what the last pass read of the market's configuration and of this worker's
        account: each is read once a pass, however many jobs it bids on."""
        self._config, self._account = None, None
        self._balance = None
        self._spending = 0

    def after_give_back(self, job_id: int, given: GiveBack) -> None:
        """The seat of `job_id` was given back for `given`: a lost GPU or a failed driver
        (`STOPS_BIDDING`) stops bidding until the worker restarts, said once, loudly."""
        if given.cause not in STOPS_BIDDING or self.stopped() is not None:
            return
        stopped = BiddingStopped(job_id=job_id, cause=given.cause, reason=given.reason)
        store_bidding_stopped(self.state, stopped)
        log.error("%s", stopped.says())

    def stopped(self) -> BiddingStopped | None:
        """Why the worker bids on nothing now (None while it bids)."""
        return bidding_stopped(self.state)

    def resume(self) -> None:
        """Bid again: the worker (re)started, its operator having checked the GPU."""
        stopped = self.stopped()
        if stopped is None:
            return
        store_bidding_stopped(self.state, None)
        log.warning(
            "bidding again: it had stopped when job %d's seat was given back because %s",
            stopped.job_id, stopped.reason,
        )  # fmt: skip

    def _backed_tiles(self, price_per_tile: int) -> int:
        """How many tiles at `price_per_tile` the stake not yet locked as collateral can back
        (each sealed bid, revealed bid and open seat locks `collateralBps` of its value; a
        sealed bid still in flight will)."""
        if self._account is None or self._config is None:
            self._account, self._config = self.market.account(self.me), self.market.config()
        account, config = self._account, self._config
        per_tile = config.collateral(1, price_per_tile)
        in_flight = sum(config.collateral(tiles, price) for tiles, price in self._bids_in_flight())
        free = account.stake - account.locked - in_flight
        return UINT16_MAX if per_tile == 0 else max(free, 0) // per_tile

    def _eth(self) -> tuple[int, int]:
        """The key's ETH on the latest block and what its transactions in flight may spend of
        it (value and gas at their fee cap), read once a pass; bids sent this pass add their
        bonds."""
        if self._balance is None:
            me = Web3.to_checksum_address(self.me)
            self._balance = self.market.w3.eth.get_balance(me, "latest")
            self._spending = sum(_cost(row.raw) for row in self.sender.in_flight())
        return self._balance, self._spending

    def _bids_in_flight(self) -> list[tuple[int, int]]:
        """The tile count and maximum price of each sealed bid sent and not yet mined (the
        account read at the start of the pass does not count them yet)."""
        with self.state.session() as s:
            rows = s.execute(
                select(BidRow.tile_count, JobRow.max_price_per_tile)
                .join(JobRow, JobRow.job_id == BidRow.job_id)
                .join(TxRow, TxRow.purpose == _COMMIT_PREFIX.concat(cast(BidRow.job_id, String)))
                .where(JobRow.stage == Stage.SEEN, TxRow.status == "sent")
            )
            return [(tiles, price) for tiles, price in rows]

    def _commit(self, job_id: int, commitment: bytes, price_per_tile: int, tiles: int) -> None:
        """Send the sealed bid (once: a stored one is looked at again); the job moves to `bid`
        at the first pass that finds it mined."""
        bond = self.market.job(job_id).bid_bond
        mined = self.sender.try_send(calls.commit_bid(job_id, commitment, tiles, bond))
        if mined and self.state.move(job_id, Stage.BID, price_per_tile=price_per_tile):
            self.metrics.bids.labels("committed").inc()

    def reveal(self, job: JobRow, now: int) -> None:
        # Revealed even once bidding stopped: an unrevealed bid forfeits its bond and the
        # collateral it locked at the job's maximum price, more than a seat given back costs.
        if now < job.bid_end:
            return
        # Our reveal's row first: one mined in the window's last block is found at a pass
        # after the window ends.
        revealed = self.sender.sent(Purpose(Action.REVEAL_BID, job.job_id))
        if revealed is not None and revealed.status == "mined":
            self.state.move(job.job_id, Stage.REVEALED)
            return
        if revealed is not None and revealed.status == "sent" and now >= job.reveal_end:
            return  # in flight: `collect` says whether it was mined in time
        if now >= job.reveal_end:
            self.state.move(job.job_id, Stage.LOST, "the reveal window closed before we revealed")
            return
        with self.state.session() as s:
            bid = s.get(BidRow, job.job_id)
        if bid is None:
            reason = "a committed bid without its stored salt"
            self.state.move(job.job_id, Stage.ERROR, reason)
            return
        salt = bytes.fromhex(bid.salt[2:])
        if self.sender.try_send(
            calls.reveal_bid(job.job_id, bid.price_per_tile, bid.tile_count, salt)
        ):
            self.state.move(job.job_id, Stage.REVEALED)

    def settle(self, job: JobRow, now: int) -> None:
        if job.settled or now <= job.bid_end:
            return
        chain_job = self.market.job(job.job_id)
        if chain_job.status_name != "Bidding":
            # Settled (or cancelled) by someone else.
            self.state.update_job(job.job_id, settled=True)
            return
        if now <= job.reveal_end and chain_job.reveals < chain_job.commits:
            return
        ranking = self.market.ranking(job.job_id)
        if ranking and ranking[0] != self.me and now < job.reveal_end + SETTLE_GRACE:
            return
        self.sender.try_send(calls.settle(job.job_id, ranking))

    def reclaim_bond(self, job: JobRow) -> None:
        """The artist cancelled the job after our bid: take the bond back (tried once: a
        refusal means there is none left to reclaim)."""
        self.sender.try_send(calls.reclaim_bond(job.job_id))
        self.state.move(job.job_id, Stage.CANCELLED)


def _cost(raw: str) -> int:
    """What the signed transaction `raw` may spend at most: its value and its gas at its fee
    cap."""
    tx = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
    return int(tx.get("value", 0)) + int(tx["gas"]) * int(tx["maxFeePerGas"])

"""Typed web3 bindings of tilefarm's JobMarket contract for the worker, the server and the auditor.

The ABI comes from Brownie's build (`build/contracts/JobMarket.json`) and the address from the
deployments file; nothing here restates the ABI. Transactions are sent either by an account the
node signs for (an address string) or by a local key (`eth_account.LocalAccount`, what the worker
uses). A reverted call raises `ContractReverted` with the contract's custom error decoded.

`JobMarketClient` is the market's typed writes (here) on top of its views
(`tilefarm.adapters.chain.reads`) and its calls, sends and decoded events
(`tilefarm.adapters.chain.contract`). What the views return is in
`tilefarm.adapters.chain.records`, the errors in `tilefarm.adapters.chain.errors`, the bid hashing
in `tilefarm.adapters.chain.bids`.
"""

from collections.abc import Callable, Sequence

from web3 import Web3
from web3.types import TxParams

from tilefarm.adapters.chain.bids import rank_key
from tilefarm.adapters.chain.contract import (
    CONTRACT_NAME,
    RECEIPT_TIMEOUT,
    Sender,
    checksummed,
)
from tilefarm.adapters.chain.events import JobParams, JobPosted, RoundOpened
from tilefarm.adapters.chain.reads import MarketReads
from tilefarm.adapters.chain.records import Receipt
from tilefarm.adapters.chain.votes import evidence_seal

__all__ = ["CONTRACT_NAME", "JobMarketClient", "Sender"]


class JobMarketClient(MarketReads):
    """Typed calls, writes and decoded events of one deployed JobMarket."""

    # -- staking

    def stake(self, sender: Sender, amount: int) -> Receipt:
        return self._send(sender, "stake", value=amount)

    def request_unstake(self, sender: Sender, amount: int) -> Receipt:
        return self._send(sender, "requestUnstake", amount)

    def withdraw_stake(self, sender: Sender) -> Receipt:
        return self._send(sender, "withdrawStake")

    def declare_hardware(self, sender: Sender, backend: int, vram_mib: int) -> Receipt:
        """Records the sender's backend class (a `hardware_codes.BACKEND_CODES` value) and GPU
        memory in MiB, staked or not. A seat keeps the class declared when it commits, which its
        verifier draw and its panel's first seat prefer."""
        return self._send(sender, "declareHardware", backend, vram_mib)

    # -- escrow

    def post_job(
        self,
        sender: Sender,
        params: JobParams,
        manifest_cid: str,
        *,
        deposit: int | None = None,
        on_sent: Callable[[str], None] | None = None,
        timeout: float = RECEIPT_TIMEOUT,
        chain_id: int | None = None,
        before_sign: Callable[[TxParams], None] | None = None,
        on_signed: Callable[[str], None] | None = None,
    ) -> tuple[int, Receipt]:
        """Posts a job paying exactly its quote (or `deposit`, a quote the caller has already
        read and checked: what it checked is what is signed); returns the new job id and the
        receipt. `on_sent`, `timeout`, `chain_id`, `before_sign` and `on_signed` as `_send`
        takes them (an artist's command that does not trust the node uses the last three)."""
        if deposit is None:
            deposit = self.quote(
                params.tile_count, params.max_price_per_tile, params.verify_fee_per_tile
            )
        receipt = self._send(
            sender, "postJob", params.as_tuple(), manifest_cid,
            value=deposit, on_sent=on_sent, timeout=timeout,
            chain_id=chain_id, before_sign=before_sign, on_signed=on_signed,
        )  # fmt: skip
        return receipt.event(JobPosted).job_id, receipt

    def cancel_job(self, sender: Sender, job_id: int) -> Receipt:
        return self._send(sender, "cancelJob", job_id)

    def withdraw(self, sender: Sender) -> Receipt:
        return self._send(sender, "withdraw")

    # -- rounds

    def reoffer(self, sender: Sender, job_id: int) -> tuple[int, Receipt]:
        """Opens the job's next round over its unsold tiles; returns the round's id."""
        receipt = self._send(sender, "reoffer", job_id)
        return receipt.event(RoundOpened).round_id, receipt

    def top_up(self, sender: Sender, job_id: int, max_price_per_tile: int, amount: int) -> Receipt:
        """The artist adds `amount` to the job's reserve and sets later rounds' maximum price."""
        return self._send(sender, "topUp", job_id, max_price_per_tile, value=amount)

    def end_reoffering(self, sender: Sender, job_id: int) -> Receipt:
        return self._send(sender, "endReoffering", job_id)

    # -- bidding

    def commit_bid(
        self, sender: Sender, job_id: int, commitment: bytes, tile_count: int
    ) -> Receipt:
        """Seals a bid for `tile_count` tiles (the count the commitment hashes, declared in the
        open): sends the job's bond and locks the tiles' collateral at the maximum price."""
        bond = self.job(job_id).bid_bond
        return self._send(sender, "commitBid", job_id, commitment, tile_count, value=bond)

    def forfeit_bid(self, sender: Sender, job_id: int, bidder: str) -> Receipt:
        """Slashes an unrevealed bid's locked collateral to the artist (after the reveal window)."""
        return self._send(sender, "forfeitBid", job_id, checksummed(bidder))

    def reveal_bid(
        self, sender: Sender, job_id: int, price_per_tile: int, tile_count: int, salt: bytes
    ) -> Receipt:
        return self._send(sender, "revealBid", job_id, price_per_tile, tile_count, salt)

    def ranking(self, job_id: int) -> list[str]:
        """The job's kept bids in settlement order: price, then the job's tie-break hash."""
        kept: list[str] = [Web3.to_checksum_address(a) for a in self._call("keptBids", job_id)]
        seed = self.job(job_id).tie_seed
        prices = {bidder: self.seat(job_id, bidder).price_per_tile for bidder in kept}
        return sorted(kept, key=lambda bidder: rank_key(seed, bidder, prices[bidder]))

    def settle(self, sender: Sender, job_id: int, ranked: Sequence[str] | None = None) -> Receipt:
        """Settles bidding; the ranking is computed from the chain's events unless given."""
        order = list(ranked) if ranked is not None else self.ranking(job_id)
        return self._send(sender, "settle", job_id, [checksummed(a) for a in order])

    def reclaim_bond(self, sender: Sender, job_id: int) -> Receipt:
        return self._send(sender, "reclaimBond", job_id)

    # -- results and verification

    def commit_results(self, sender: Sender, job_id: int, merkle_root: bytes) -> Receipt:
        """Commits the Merkle root only: the results list is revealed after the evidence seal."""
        return self._send(sender, "commitResults", job_id, merkle_root)

    def seal_evidence(self, sender: Sender, job_id: int, worker: str, evidence_cid: str) -> Receipt:
        """The drawn verifier seals its evidence before it may see the worker's tiles."""
        verifier = sender if isinstance(sender, str) else sender.address
        seal = evidence_seal(job_id, worker, verifier, evidence_cid)
        return self._send(sender, "sealEvidence", job_id, checksummed(worker), seal)

    def reveal_results(self, sender: Sender, job_id: int, results_cid: str) -> Receipt:
        return self._send(sender, "revealResults", job_id, results_cid)

    def draw_verifier(self, sender: Sender, job_id: int, worker: str) -> Receipt:
        return self._send(sender, "drawVerifier", job_id, checksummed(worker))

    def attest(
        self, sender: Sender, job_id: int, worker: str, passed: bool, evidence_cid: str
    ) -> Receipt:
        return self._send(sender, "attest", job_id, checksummed(worker), passed, evidence_cid)

    def accept_results(self, sender: Sender, job_id: int, worker: str) -> Receipt:
        return self._send(sender, "acceptResults", job_id, checksummed(worker))

    def release(self, sender: Sender, job_id: int, worker: str) -> Receipt:
        """Pays an accepted seat whose contest window has closed (permissionless)."""
        return self._send(sender, "release", job_id, checksummed(worker))

    def finalize_rejection(self, sender: Sender, job_id: int, worker: str) -> Receipt:
        return self._send(sender, "finalizeRejection", job_id, checksummed(worker))

    def claim_late(self, sender: Sender, job_id: int, worker: str) -> Receipt:
        return self._send(sender, "claimLate", job_id, checksummed(worker))

    def abandon_seat(self, sender: Sender, job_id: int, cause: int) -> Receipt:
        """Gives the sender's `Assigned` seat back at once (a `hardware_codes.AbandonCause`): it
        costs what `claim_late` would, and its tiles go back on the market without waiting."""
        return self._send(sender, "abandonSeat", job_id, int(cause))

    def replace_verifier(self, sender: Sender, job_id: int, worker: str) -> Receipt:
        return self._send(sender, "replaceVerifier", job_id, checksummed(worker))

    # -- disputes

    def open_dispute(self, sender: Sender, job_id: int, worker: str, reason_cid: str) -> Receipt:
        bond = self.config().dispute_bond
        return self._send(
            sender, "openDispute", job_id, checksummed(worker), reason_cid, value=bond
        )

    def draw_panel(self, sender: Sender, job_id: int, worker: str) -> Receipt:
        return self._send(sender, "drawPanel", job_id, checksummed(worker))

    def commit_vote(self, sender: Sender, job_id: int, worker: str, commitment: bytes) -> Receipt:
        """Seals a panel vote: `commitment` is `votes.vote_commitment` of the vote and a salt."""
        return self._send(sender, "commitVote", job_id, checksummed(worker), commitment)

    def reveal_vote(
        self,
        sender: Sender,
        job_id: int,
        worker: str,
        fraud: bool,
        salt: bytes,
        evidence_cid: str,
    ) -> Receipt:
        return self._send(
            sender, "revealVote", job_id, checksummed(worker), fraud, salt, evidence_cid
        )

    def resolve_dispute(self, sender: Sender, job_id: int, worker: str) -> Receipt:
        return self._send(sender, "resolveDispute", job_id, checksummed(worker))

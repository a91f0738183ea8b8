"""The market's views, typed: what a job, a seat, an account, a dispute or the pool is now (the
records of `tilefarm.adapters.chain.records`), and dry runs of the draw."""

from collections.abc import Sequence
from typing import Any

from faster_eth_abi.exceptions import DecodingError
from web3 import Web3
from web3.types import RPCEndpoint

from tilefarm.adapters.chain.contract import MarketContract, checksummed
from tilefarm.adapters.chain.errors import ChainError, ContractReverted
from tilefarm.adapters.chain.events import unpack_ranges
from tilefarm.adapters.chain.records import (
    Account,
    Dispute,
    Job,
    MarketConfig,
    Reoffer,
    Seat,
    record,
)

# Views a JSON-RPC batch carries: one request of a few hundred kB.
BATCH = 500


class MarketReads(MarketContract):
    """The JobMarket's views."""

    def views(
        self, name: str, calls: Sequence[Sequence[Any]], block: int | None = None
    ) -> list[Any]:
        """View `name` called with each argument list of `calls`, sent in JSON-RPC batches of
        `BATCH` and all read at one block (the latest by default): what each returns, as the
        view alone would (a reading of a whole market is ten thousands of calls, which one by
        one cost a round trip each). A call that reverts raises its `ContractReverted`."""
        view = self._view(name)
        at = hex(block if block is not None else int(self.w3.eth.block_number))
        out: list[Any] = []
        for start in range(0, len(calls), BATCH):
            requests = [
                (
                    RPCEndpoint("eth_call"),
                    [{"to": self.address, "data": view.calldata(args)}, at],
                )
                for args in calls[start : start + BATCH]
            ]
            answers = self.w3.provider.make_batch_request(requests)  # type: ignore[attr-defined]
            if not isinstance(answers, list) or len(answers) != len(requests):
                raise ChainError(
                    f"the node answered a batch of {len(requests)} {name} calls "
                    f"with {answers!r:.200}"
                )
            for answer in answers:
                if "error" in answer:
                    error = answer["error"]
                    if isinstance(error, dict) and error.get("data"):
                        raise self.revert_error(ValueError(error), name)
                    raise ChainError(f"{name}: the node answered {error!r:.300}")
                try:
                    out.append(view.result(answer["result"]))
                except (KeyError, TypeError, ValueError, DecodingError) as exc:
                    raise ChainError(
                        f"{name} at block {at}: the node answered {answer!r:.200}, which is no "
                        f"answer of this view ({exc}); is the market deployed at that block?"
                    ) from None
        return out

    # -- views

    def config(self) -> MarketConfig:
        return record(MarketConfig, self._call("config"))

    def job(self, job_id: int) -> Job:
        return record(Job, self._call("job", job_id))

    def reoffer_of(self, job_id: int) -> Reoffer:
        return record(Reoffer, self._call("reofferOf", job_id))

    def unsold_tiles(self, job_id: int) -> list[tuple[int, int]]:
        """The job's tiles waiting for a round, as `(first_tile, tile_count)`."""
        return unpack_ranges(list(self._call("unsoldTiles", job_id)))

    def offered_tiles(self, round_id: int) -> list[tuple[int, int]]:
        """What a re-offer round sells, as `(first_tile, tile_count)` (nothing for a posted job)."""
        return unpack_ranges(list(self._call("offeredTiles", round_id)))

    def is_barred(self, job_id: int, worker: str) -> bool:
        return bool(self._call("barred", job_id, checksummed(worker)))

    def job_count(self) -> int:
        return int(self._call("jobCount"))

    def seat(self, job_id: int, worker: str) -> Seat:
        return record(Seat, self._call("seat", job_id, checksummed(worker)))

    def account(self, who: str) -> Account:
        return record(Account, self._call("account", checksummed(who)))

    def dispute(self, job_id: int, worker: str) -> Dispute:
        return record(Dispute, self._call("dispute", job_id, checksummed(worker)))

    def vote_commitment_of(self, job_id: int, worker: str, voter: str) -> bytes | None:
        """The vote `voter` sealed on the dispute's panel (None if it is not on the panel)."""
        account_id = self.account(voter).account_id
        dispute = self.dispute(job_id, worker)
        seats = (dispute.member0, dispute.member1, dispute.member2)
        if account_id == 0 or account_id not in seats:
            return None
        sealed = self._call("voteCommitments", job_id, checksummed(worker))
        return bytes(sealed[seats.index(account_id)])

    def balance_of(self, who: str) -> int:
        return int(self._call("balanceOf", checksummed(who)))

    def quote(self, tile_count: int, max_price_per_tile: int, verify_fee_per_tile: int) -> int:
        return int(self._call("quote", tile_count, max_price_per_tile, verify_fee_per_tile))

    def is_eligible(self, who: str) -> bool:
        """Whether `who` may bid and be drawn: staked at least the market's minimum."""
        return self.account(who).stake >= self.config().min_stake

    def pool_size(self) -> int:
        return int(self._call("poolSize"))

    def account_by_id(self, account_id: int) -> str | None:
        """The account with the permanent id `account_id` (a seat's `verifier_id`), or None."""
        if account_id == 0:
            return None
        return Web3.to_checksum_address(self._call("accountById", account_id))

    def verifier_of(self, job_id: int, worker: str) -> str | None:
        return self.account_by_id(self.seat(job_id, worker).verifier_id)

    def preview_verifier(self, job_id: int, worker: str) -> str | None:
        """Who `drawVerifier` would draw now (a dry run), or None if nobody can be drawn yet."""
        try:
            verifier = self._call("drawVerifier", job_id, checksummed(worker))
        except ContractReverted as exc:
            if exc.error == "VerifierAlreadyDrawn":
                return Web3.to_checksum_address(exc.error_args["verifier"])
            return None
        return None if int(verifier, 16) == 0 else Web3.to_checksum_address(verifier)

    def verify_tile(
        self,
        job_id: int,
        worker: str,
        tile_index: int,
        tile_cid_digest: bytes,
        pixel_hash: bytes,
        proof: Sequence[bytes],
    ) -> bool:
        return bool(
            self._call(
                "verifyTile",
                job_id,
                checksummed(worker),
                tile_index,
                tile_cid_digest,
                pixel_hash,
                list(proof),
            )
        )

"""Typed web3 bindings of tilefarm's JobMarket contract for the worker, the server and the auditor.

The ABI comes from Brownie's build (`build/contracts/JobMarket.json`) and the address from the
deployments file; nothing here restates the ABI. Transactions are sent either by an account the
node signs for (an address string) or by a local key (`eth_account.LocalAccount`, what the worker
uses). A reverted call raises `ContractReverted` with the contract's custom error decoded.

What the views return is in `tilefarm.adapters.chain.records`, the errors in
`tilefarm.adapters.chain.errors`, the bid hashing in `tilefarm.adapters.chain.bids`.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from eth_abi.abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError
from web3.types import BlockIdentifier, TxParams, TxReceipt, Wei

from tilefarm.adapters.chain.artifacts import load_artifact
from tilefarm.adapters.chain.bids import rank_key
from tilefarm.adapters.chain.deploy import Deployments
from tilefarm.adapters.chain.errors import ChainError, ContractReverted
from tilefarm.adapters.chain.events import JobParams, MarketEvent, event_model, unpack_ranges
from tilefarm.adapters.chain.records import (
    Account,
    Dispute,
    Job,
    MarketConfig,
    Receipt,
    Reoffer,
    Seat,
    record,
)
from tilefarm.adapters.chain.votes import evidence_seal
from tilefarm.adapters.paths import BUILD_DIR

CONTRACT_NAME = "JobMarket"
Sender = str | LocalAccount


class JobMarketClient:
    """Typed calls and decoded events of one deployed JobMarket."""

    def __init__(self, w3: Web3, address: str, abi: list[dict[str, Any]]) -> None:
        self.w3 = w3
        self.contract: Contract = w3.eth.contract(
            address=Web3.to_checksum_address(address), abi=abi
        )
        self._errors: dict[bytes, tuple[str, list[str], list[str]]] = {}
        self._topics: dict[bytes, str] = {}
        for item in abi:
            if item["type"] == "event":
                types = [_abi_type(i) for i in item["inputs"]]
                self._topics[keccak(text=f"{item['name']}({','.join(types)})")] = item["name"]
            if item["type"] == "error":
                types = [_abi_type(i) for i in item["inputs"]]
                selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
                self._errors[selector] = (item["name"], [i["name"] for i in item["inputs"]], types)

    @classmethod
    def from_deployments(
        cls, w3: Web3, deployments: Deployments, build_dir: Path = BUILD_DIR
    ) -> "JobMarketClient":
        """The market recorded in a deployments file, with the ABI from `build_dir`."""
        abi = load_artifact(CONTRACT_NAME, build_dir).abi
        return cls(w3, deployments.address(CONTRACT_NAME), abi)

    @classmethod
    def from_build(cls, w3: Web3, address: str, build_dir: Path = BUILD_DIR) -> "JobMarketClient":
        """The market at `address`, with the ABI from `build_dir`."""
        return cls(w3, address, load_artifact(CONTRACT_NAME, build_dir).abi)

    @property
    def address(self) -> str:
        return str(self.contract.address)

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
        return bool(self._call("barred", job_id, _addr(worker)))

    def job_count(self) -> int:
        return int(self._call("jobCount"))

    def seat(self, job_id: int, worker: str) -> Seat:
        return record(Seat, self._call("seat", job_id, _addr(worker)))

    def account(self, who: str) -> Account:
        return record(Account, self._call("account", _addr(who)))

    def dispute(self, job_id: int, worker: str) -> Dispute:
        return record(Dispute, self._call("dispute", job_id, _addr(worker)))

    def vote_commitment_of(self, job_id: int, worker: str, voter: str) -> bytes | None:
        """The vote `voter` sealed on the dispute's panel (None if it is not on the panel)."""
        account_id = self.account(voter).account_id
        dispute = self.dispute(job_id, worker)
        seats = (dispute.member0, dispute.member1, dispute.member2)
        if account_id == 0 or account_id not in seats:
            return None
        sealed = self._call("voteCommitments", job_id, _addr(worker))
        return bytes(sealed[seats.index(account_id)])

    def balance_of(self, who: str) -> int:
        return int(self._call("balanceOf", _addr(who)))

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
            verifier = self._call("drawVerifier", job_id, _addr(worker))
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
                _addr(worker),
                tile_index,
                tile_cid_digest,
                pixel_hash,
                list(proof),
            )
        )

    # -- staking

    def stake(self, sender: Sender, amount: int) -> Receipt:
        return self._send(sender, "stake", value=amount)

    def request_unstake(self, sender: Sender, amount: int) -> Receipt:
        return self._send(sender, "requestUnstake", amount)

    def withdraw_stake(self, sender: Sender) -> Receipt:
        return self._send(sender, "withdrawStake")

    # -- escrow

    def post_job(self, sender: Sender, params: JobParams, manifest_cid: str) -> tuple[int, Receipt]:
        """Posts a job paying exactly its quote; returns the new job id and the receipt."""
        deposit = self.quote(
            params.tile_count, params.max_price_per_tile, params.verify_fee_per_tile
        )
        receipt = self._send(sender, "postJob", params.as_tuple(), manifest_cid, value=deposit)
        from tilefarm.adapters.chain.events import JobPosted

        return receipt.event(JobPosted).job_id, receipt

    def cancel_job(self, sender: Sender, job_id: int) -> Receipt:
        return self._send(sender, "cancelJob", job_id)

    def withdraw(self, sender: Sender) -> Receipt:
        return self._send(sender, "withdraw")

    # -- rounds

    def reoffer(self, sender: Sender, job_id: int) -> tuple[int, Receipt]:
        """Opens the job's next round over its unsold tiles; returns the round's id."""
        receipt = self._send(sender, "reoffer", job_id)
        from tilefarm.adapters.chain.events import RoundOpened

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
        return self._send(sender, "forfeitBid", job_id, _addr(bidder))

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
        return self._send(sender, "settle", job_id, [_addr(a) for a in order])

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
        return self._send(sender, "sealEvidence", job_id, _addr(worker), seal)

    def reveal_results(self, sender: Sender, job_id: int, results_cid: str) -> Receipt:
        return self._send(sender, "revealResults", job_id, results_cid)

    def draw_verifier(self, sender: Sender, job_id: int, worker: str) -> Receipt:
        return self._send(sender, "drawVerifier", job_id, _addr(worker))

    def attest(
        self, sender: Sender, job_id: int, worker: str, passed: bool, evidence_cid: str
    ) -> Receipt:
        return self._send(sender, "attest", job_id, _addr(worker), passed, evidence_cid)

    def accept_results(self, sender: Sender, job_id: int, worker: str) -> Receipt:
        return self._send(sender, "acceptResults", job_id, _addr(worker))

    def release(self, sender: Sender, job_id: int, worker: str) -> Receipt:
        """Pays an accepted seat whose contest window has closed (permissionless)."""
        return self._send(sender, "release", job_id, _addr(worker))

    def finalize_rejection(self, sender: Sender, job_id: int, worker: str) -> Receipt:
        return self._send(sender, "finalizeRejection", job_id, _addr(worker))

    def claim_late(self, sender: Sender, job_id: int, worker: str) -> Receipt:
        return self._send(sender, "claimLate", job_id, _addr(worker))

    def replace_verifier(self, sender: Sender, job_id: int, worker: str) -> Receipt:
        return self._send(sender, "replaceVerifier", job_id, _addr(worker))

    # -- disputes

    def open_dispute(self, sender: Sender, job_id: int, worker: str, reason_cid: str) -> Receipt:
        bond = self.config().dispute_bond
        return self._send(sender, "openDispute", job_id, _addr(worker), reason_cid, value=bond)

    def draw_panel(self, sender: Sender, job_id: int, worker: str) -> Receipt:
        return self._send(sender, "drawPanel", job_id, _addr(worker))

    def commit_vote(self, sender: Sender, job_id: int, worker: str, commitment: bytes) -> Receipt:
        """Seals a panel vote: `commitment` is `votes.vote_commitment` of the vote and a salt."""
        return self._send(sender, "commitVote", job_id, _addr(worker), commitment)

    def reveal_vote(
        self,
        sender: Sender,
        job_id: int,
        worker: str,
        fraud: bool,
        salt: bytes,
        evidence_cid: str,
    ) -> Receipt:
        return self._send(sender, "revealVote", job_id, _addr(worker), fraud, salt, evidence_cid)

    def resolve_dispute(self, sender: Sender, job_id: int, worker: str) -> Receipt:
        return self._send(sender, "resolveDispute", job_id, _addr(worker))

    # -- events

    def decode_receipt(self, receipt: TxReceipt) -> list[MarketEvent]:
        """The market's events in a receipt, as models."""
        return [
            self._decode(log) for log in receipt["logs"] if log["address"] == self.contract.address
        ]

    def events(
        self, from_block: int = 0, to_block: BlockIdentifier = "latest", job_id: int | None = None
    ) -> list[MarketEvent]:
        """Every market event in the block range (optionally only those of `job_id`), in order."""
        logs = self.w3.eth.get_logs(
            {"address": self.contract.address, "fromBlock": from_block, "toBlock": to_block}
        )
        decoded = [self._decode(log) for log in logs]
        if job_id is None:
            return decoded
        return [ev for ev in decoded if getattr(ev, "job_id", None) == job_id]

    # -- building blocks for callers that sign and send themselves (the worker's durable sender)

    def function(self, name: str, *args: Any) -> ContractFunction:
        """The market function `name` bound to `args`, to build a transaction from."""
        return self._function(name, *args)

    def revert_error(self, exc: Exception, function: str) -> "ContractReverted":
        """The contract's custom error inside a web3 revert exception, decoded."""
        return self._reverted(exc, function)

    def decode_log(self, log: Any) -> MarketEvent:
        """One raw market log as its event model."""
        return self._decode(log)

    # -- plumbing

    def _decode(self, log: Any) -> MarketEvent:
        name = self._topics.get(bytes(log["topics"][0])) if log["topics"] else None
        if name is None:
            raise ChainError(
                f"log {log['transactionHash'].hex()}:{log['logIndex']} is no JobMarket event"
            )
        decoded = self.contract.events[name]().process_log(log)
        meta = {
            "block_number": decoded["blockNumber"],
            "transaction_hash": decoded["transactionHash"],
            "log_index": decoded["logIndex"],
        }
        return event_model(name, _plain(decoded["args"]), meta)

    def _function(self, name: str, *args: Any) -> ContractFunction:
        return cast(ContractFunction, self.contract.get_function_by_name(name)(*args))

    def _call(self, name: str, *args: Any) -> Any:
        try:
            return self._function(name, *args).call()
        except (ContractCustomError, ContractLogicError, ValueError) as exc:
            if isinstance(exc, ValueError) and _revert_data(exc) is None:
                raise  # a node error, not a revert
            raise self._reverted(exc, name) from None

    def _send(self, sender: Sender, name: str, *args: Any, value: int = 0) -> Receipt:
        fn = self._function(name, *args)
        address = sender if isinstance(sender, str) else sender.address
        tx: TxParams = {"from": _addr(address), "value": Wei(value)}
        try:
            if isinstance(sender, str):
                tx_hash = fn.transact(tx)
            else:
                tx["nonce"] = self.w3.eth.get_transaction_count(sender.address, "pending")
                built = fn.build_transaction(tx)
                tx_hash = self.w3.eth.send_raw_transaction(
                    sender.sign_transaction(built).raw_transaction  # type: ignore[arg-type]
                )
        except (ContractCustomError, ContractLogicError, ValueError) as exc:
            if isinstance(exc, ValueError) and _revert_data(exc) is None:
                raise  # a node error, not a revert
            raise self._reverted(exc, name) from None
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise ChainError(
                f"{name} reverted in block {receipt['blockNumber']} (tx {tx_hash.hex()})"
            )
        return Receipt(
            tx_hash="0x" + bytes(tx_hash).hex(),
            block_number=receipt["blockNumber"],
            gas_used=receipt["gasUsed"],
            events=self.decode_receipt(receipt),
        )

    def _reverted(self, exc: Exception, function: str) -> ContractReverted:
        """The contract's custom error inside a web3 (or middleware) revert exception."""
        data = _revert_data(exc)
        raw = bytes.fromhex(data[2:]) if data and data.startswith("0x") else b""
        if len(raw) >= 4 and raw[:4] in self._errors:
            name, names, types = self._errors[raw[:4]]
            values = abi_decode(types, raw[4:])
            return ContractReverted(
                name, dict(zip(names, _plain(list(values)), strict=True)), function
            )
        return ContractReverted("UnknownRevert", {"detail": str(exc)}, function)


def _revert_data(exc: Exception) -> str | None:
    """The revert data web3 attached to `exc`, or that a middleware left in the JSON-RPC error."""
    data = getattr(exc, "data", None)
    if data is None and exc.args and isinstance(exc.args[0], dict):
        data = exc.args[0].get("data")
    if isinstance(data, bytes | bytearray):
        return "0x" + bytes(data).hex()
    return data if isinstance(data, str) else None


def _abi_type(item: dict[str, Any]) -> str:
    if item["type"].startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in item["components"])
        return f"({inner}){item['type'][5:]}"
    return str(item["type"])


def _addr(value: str) -> str:
    return Web3.to_checksum_address(value)


def _plain(value: Any) -> Any:
    """web3's AttributeDicts, bytes and tuples as plain JSON-able Python."""
    if isinstance(value, dict) or hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return value

"""A large market built quickly on anvil: many jobs, each sold whole to one of many workers.

Every job goes through the real auction, as workers and artists do it: posted, one sealed bid
committed, revealed after the bid window, settled after the reveal window (the worker wins all of
the job's tiles). The bench sends the transactions from anvil's unlocked accounts (the artist)
and from impersonated ones (the workers, `anvil_impersonateAccount`), in JSON-RPC batches
without waiting for receipts: each account's nonces are counted here, so a batch's order does
not matter, and time moves with `evm_increaseTime` instead of waiting for the windows. Jobs are
built a phase at a time (every job posted, then every bid committed, ...), so a market of any
size costs two time jumps per call of `add_jobs`.
"""

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from eth_utils.crypto import keccak
from web3 import Web3

from tilefarm.adapters.chain.bids import bid_commitment
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.events import JobParams

ETHER = 10**18
# Far more than any job's collateral and bonds: a worker holds a seat in jobs/workers jobs.
WORKER_STAKE = 1_000 * ETHER
RICH = 10**6 * ETHER
WINDOW = 86_400  # bid and reveal windows: longer than posting a phase's jobs takes
PRICE_PER_TILE = 10**14
GAS = 3_000_000  # explicit: no estimate per transaction
BATCH = 250  # transactions per JSON-RPC batch, and per block
BLOCK_GAS = GAS * BATCH


class BuildFailed(RuntimeError):
    """A transaction of the build reverted or the node refused it."""


def job_params(tiles: int) -> JobParams:
    return JobParams(
        tile_count=tiles,
        frame_count=1,
        max_price_per_tile=10**15,
        verify_fee_per_tile=10**13,
        bid_bond=10**16,
        bid_window=WINDOW,
        reveal_window=WINDOW,
        render_window=30 * 86_400,
        verify_window=86_400,
    )


def worker_address(n: int) -> str:
    """The bench's n-th worker: an address nobody holds the key of (anvil impersonates it)."""
    return Web3.to_checksum_address(keccak(text=f"tilefarm bench worker {n}")[-20:])


def _salt(job_id: int) -> bytes:
    return keccak(text=f"tilefarm bench salt {job_id}")


@dataclass
class MarketBuilder:
    """Adds jobs to the market of `client`, posted by `artist`, sold to `workers` bench workers in
    turn (job n to worker n mod workers)."""

    client: JobMarketClient
    rpc_url: str
    artist: str
    workers: int = 100
    tiles_per_job: int = 100
    manifest_cid: str = "bafy-bench-scale"
    jobs: int = 0  # jobs this builder made
    transactions: int = 0
    seconds: float = 0.0
    _nonces: dict[str, int] = field(default_factory=dict)
    _http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=600))

    @property
    def tiles(self) -> int:
        return self.jobs * self.tiles_per_job

    @property
    def worker_addresses(self) -> list[str]:
        return [worker_address(n) for n in range(self.workers)]

    def rpc(self, calls: Sequence[tuple[str, list[Any]]]) -> list[Any]:
        """One JSON-RPC batch; the results in the calls' order. The node may run a batch's calls
        in any order."""
        body = [
            {"jsonrpc": "2.0", "id": n, "method": method, "params": params}
            for n, (method, params) in enumerate(calls)
        ]
        answers = sorted(self._http.post(self.rpc_url, json=body).json(), key=lambda a: a["id"])
        for answer in answers:
            if "error" in answer:
                method = calls[answer["id"]][0]
                raise BuildFailed(f"{method} refused: {answer['error']}")
        return [answer["result"] for answer in answers]

    def _transactions(self, sends: Iterable[tuple[str, str, int]]) -> None:
        """Send (sender, hex calldata, value) transactions to the market in batches; wait until all
        are mined and check that the last of each batch succeeded."""
        sends = list(sends)
        senders = sorted({sender for sender, _, _ in sends} - self._nonces.keys())
        if senders:
            counts = self.rpc([("eth_getTransactionCount", [s, "pending"]) for s in senders])
            self._nonces.update({s: int(c, 16) for s, c in zip(senders, counts, strict=True)})
        market = self.client.contract.address
        for start in range(0, len(sends), BATCH):
            calls = []
            for sender, data, value in sends[start : start + BATCH]:
                nonce = self._nonces[sender]
                self._nonces[sender] = nonce + 1
                tx = {"from": sender, "to": market, "data": data, "value": hex(value)}
                calls.append(
                    ("eth_sendTransaction", [{**tx, "gas": hex(GAS), "nonce": hex(nonce)}])
                )
            hashes = self.rpc(calls)
            # One block per batch, whatever order the node took the batch's transactions in.
            self.rpc([("evm_mine", [])])
            (pool,) = self.rpc([("txpool_status", [])])
            if int(pool["pending"], 16) or int(pool["queued"], 16):
                raise BuildFailed(f"a block left transactions in the pool: {pool}")
            (receipt,) = self.rpc([("eth_getTransactionReceipt", [hashes[-1]])])
            if receipt is None or int(receipt["status"], 16) != 1:
                raise BuildFailed(f"transaction {hashes[-1]} failed: {receipt}")
        self.transactions += len(sends)

    def _advance(self, seconds: int) -> None:
        self.rpc([("evm_increaseTime", [seconds])])
        self.rpc([("evm_mine", [])])

    def _encode(self, function: str, *args: Any) -> str:
        return str(self.client.contract.encode_abi(function, args=list(args)))

    def setup(self) -> None:
        """Fund the artist and the workers; each worker stakes `WORKER_STAKE`."""
        start = time.perf_counter()
        workers = self.worker_addresses
        calls: list[tuple[str, list[Any]]] = [
            ("evm_setAutomine", [False]),
            ("evm_setBlockGasLimit", [hex(BLOCK_GAS)]),
            ("anvil_setBalance", [self.artist, hex(RICH)]),
        ]
        self.rpc(
            calls
            + [("anvil_impersonateAccount", [w]) for w in workers]
            + [("anvil_setBalance", [w, hex(RICH)]) for w in workers]
        )
        stake = self._encode("stake")
        self._transactions((w, stake, WORKER_STAKE) for w in workers)
        self.seconds += time.perf_counter() - start

    def add_jobs(self, count: int) -> list[int]:
        """Post `count` jobs and sell each whole to one worker; returns their ids."""
        start = time.perf_counter()
        params = job_params(self.tiles_per_job)
        value = self.client.quote(
            params.tile_count, params.max_price_per_tile, params.verify_fee_per_tile
        )
        first = self.client.job_count() + 1
        ids = list(range(first, first + count))
        post = self._encode("postJob", params.as_tuple(), self.manifest_cid)
        self._transactions((self.artist, post, value) for _ in ids)
        if self.client.job_count() != ids[-1]:
            raise BuildFailed(f"posted up to job {self.client.job_count()}, not {ids[-1]}")
        workers = self.worker_addresses
        winner = {job_id: workers[job_id % len(workers)] for job_id in ids}
        tiles = params.tile_count
        self._transactions(
            (
                winner[j],
                self._encode(
                    "commitBid",
                    j,
                    bid_commitment(j, winner[j], PRICE_PER_TILE, tiles, _salt(j)),
                    tiles,
                ),
                params.bid_bond,
            )
            for j in ids
        )
        self._advance(WINDOW + 1)
        self._transactions(
            (winner[j], self._encode("revealBid", j, PRICE_PER_TILE, tiles, _salt(j)), 0)
            for j in ids
        )
        self._advance(WINDOW + 1)
        self._transactions((self.artist, self._encode("settle", j, [winner[j]]), 0) for j in ids)
        self.jobs += count
        self.seconds += time.perf_counter() - start
        return ids

"""Following a contract's logs block by block, with confirmations and reorganisations handled.

Used by the worker daemon and the marketplace indexer alike. The consumer keeps a `Cursor` in the
same database transaction as the state it derives from the logs, and runs:

    batch = follower.poll(cursor)
    if batch.reorged_from is not None:
        forget everything derived from blocks >= batch.reorged_from
    apply(batch.logs); save(batch.cursor)        # one transaction

Only blocks at least `confirmations` deep are delivered. A reorganisation is found by re-reading
the hashes of the last delivered blocks: the newest one that still matches is the common
ancestor, and delivery restarts right after it. Following the head with no confirmations, the
usual step is one block on top of the last delivered one: its parent hash proves there was no
reorganisation and its logs are read by its hash, two requests instead of five. `HeadWatcher`
wakes the consumer on new blocks over WebSocket (`eth_subscribe newHeads`); when that fails the
consumer simply polls.
"""

import json
import logging
import threading
from typing import Any

from pydantic import BaseModel
from web3 import Web3
from web3.exceptions import BlockNotFound
from web3.types import BlockData
from websockets.sync.client import connect

from tilefarm.errors import TilefarmError

log = logging.getLogger(__name__)


class ReorgTooDeep(TilefarmError):
    """The chain changed below every block the cursor remembers."""


class BlockRef(BaseModel):
    number: int
    hash: str


class Cursor(BaseModel):
    """Where delivery stands: the next block to read, and the last delivered blocks' hashes."""

    next_block: int
    recent: list[BlockRef] = []


class Batch(BaseModel):
    """Logs of confirmed blocks, in chain order, and the cursor to save with their effects."""

    logs: list[dict[str, Any]]
    cursor: Cursor
    reorged_from: int | None = None
    head: int
    head_timestamp: int  # the newest block's, so a consumer needs no other read for "now"


class LogFollower:
    """Reads `address`'s logs in confirmed block ranges."""

    def __init__(
        self,
        w3: Web3,
        address: str,
        *,
        confirmations: int = 0,
        max_range: int = 2000,
        keep: int = 128,
    ) -> None:
        if confirmations < 0 or max_range < 1 or keep < 1:
            raise ValueError("confirmations >= 0, max_range >= 1 and keep >= 1 are required")
        self.w3 = w3
        self.address = Web3.to_checksum_address(address)
        self.confirmations = confirmations
        self.max_range = max_range
        self.keep = keep

    def _hash(self, number: int) -> str | None:
        try:
            block = self.w3.eth.get_block(number)
        except BlockNotFound:  # reorganised away, or not mined yet
            return None
        return "0x" + bytes(block["hash"]).hex()

    def _next_block_only(self, cursor: Cursor, head: BlockData) -> Batch | None:
        """The common step when following the head: nothing new, or exactly one new block whose
        parent is the last one delivered. None when it is anything else."""
        if self.confirmations or not cursor.recent:
            return None
        last = cursor.recent[-1]
        if last.number != cursor.next_block - 1:
            return None
        head_hash = "0x" + bytes(head["hash"]).hex()
        stamp = int(head["timestamp"])
        if head["number"] == last.number and head_hash == last.hash:
            return Batch(logs=[], cursor=cursor, head=last.number, head_timestamp=stamp)
        if (
            head["number"] != cursor.next_block
            or "0x" + bytes(head["parentHash"]).hex() != last.hash
        ):
            return None
        # By hash: the logs of this very block, whatever the chain does meanwhile.
        raw = self.w3.eth.get_logs({"address": self.address, "blockHash": head["hash"]})
        recent = [*cursor.recent, BlockRef(number=head["number"], hash=head_hash)][-self.keep :]
        return Batch(
            logs=[dict(entry) for entry in raw if not entry.get("removed")],
            cursor=Cursor(next_block=head["number"] + 1, recent=recent),
            head=head["number"],
            head_timestamp=stamp,
        )

    def _ancestor(self, cursor: Cursor) -> tuple[Cursor, int | None]:
        """The cursor rewound to the newest remembered block still on the chain."""
        for position in range(len(cursor.recent) - 1, -1, -1):
            ref = cursor.recent[position]
            if self._hash(ref.number) == ref.hash:
                if position == len(cursor.recent) - 1:
                    return cursor, None
                kept = cursor.recent[: position + 1]
                return Cursor(next_block=ref.number + 1, recent=kept), ref.number + 1
        if not cursor.recent:
            return cursor, None
        oldest = cursor.recent[0].number
        raise ReorgTooDeep(
            f"the chain was reorganised below block {oldest}, the oldest block remembered; "
            "resynchronise from an earlier block"
        )

    def poll(self, cursor: Cursor) -> Batch:
        """Logs from `cursor` up to the newest confirmed block (at most `max_range` blocks)."""
        if not cursor.recent and cursor.next_block > 0:
            # Remember the block we start after, so a reorganisation of everything we deliver
            # still has a common ancestor to go back to.
            anchor = self._hash(cursor.next_block - 1)
            if anchor is not None:
                cursor = Cursor(
                    next_block=cursor.next_block,
                    recent=[BlockRef(number=cursor.next_block - 1, hash=anchor)],
                )
        latest = self.w3.eth.get_block("latest")
        if (quick := self._next_block_only(cursor, latest)) is not None:
            return quick
        cursor, reorged_from = self._ancestor(cursor)
        head, stamp = int(latest["number"]), int(latest["timestamp"])
        safe = head - self.confirmations
        if cursor.next_block > safe:
            return Batch(
                logs=[], cursor=cursor, reorged_from=reorged_from, head=head, head_timestamp=stamp
            )
        last = min(safe, cursor.next_block + self.max_range - 1)
        while True:
            last_hash = self._hash(last)
            raw = self.w3.eth.get_logs(
                {"address": self.address, "fromBlock": cursor.next_block, "toBlock": last}
            )
            if last_hash is not None and self._hash(last) == last_hash:
                break  # no reorganisation while we read
            log.info("the chain moved under block %d while reading logs; reading again", last)
        logs: list[dict[str, Any]] = [dict(entry) for entry in raw if not entry.get("removed")]
        refs = {ref.number: ref for ref in cursor.recent}
        for entry in logs:
            number = entry["blockNumber"]
            refs[number] = BlockRef(number=number, hash="0x" + bytes(entry["blockHash"]).hex())
        refs[last] = BlockRef(number=last, hash=last_hash)
        recent = [refs[n] for n in sorted(refs)][-self.keep :]
        return Batch(
            logs=logs,
            cursor=Cursor(next_block=last + 1, recent=recent),
            reorged_from=reorged_from,
            head=head,
            head_timestamp=stamp,
        )


class HeadWatcher:
    """Sets `event` whenever the node announces a new block over WebSocket.

    A background thread keeps one `eth_subscribe newHeads` subscription; if it cannot connect or
    drops, it retries every `retry_seconds` while the consumer falls back to polling.
    """

    def __init__(self, ws_url: str, retry_seconds: float = 5.0) -> None:
        self.ws_url = ws_url
        self.retry_seconds = retry_seconds
        self.event = threading.Event()
        self.connected = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="head-watcher", daemon=True)

    def start(self) -> "HeadWatcher":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.event.set()

    def wake(self) -> None:
        """Wake the consumer now, as a new block would (work it waits for has finished)."""
        self.event.set()

    def wait(self, timeout: float) -> bool:
        """Wait for a new head (True) or `timeout` seconds (False)."""
        woke = self.event.wait(timeout)
        self.event.clear()
        return woke

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with connect(self.ws_url, open_timeout=5, close_timeout=1) as socket:
                    request = {
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "eth_subscribe",
                        "params": ["newHeads"],
                    }
                    socket.send(json.dumps(request))
                    json.loads(socket.recv(timeout=5))
                    self.connected = True
                    while not self._stop.is_set():
                        try:
                            message = socket.recv(timeout=1)
                        except TimeoutError:
                            continue
                        if json.loads(message).get("method") == "eth_subscription":
                            self.event.set()
            except Exception as exc:  # any failure means: poll, and retry later
                if self.connected:
                    log.warning("new-block subscription to %s lost (%s); polling", self.ws_url, exc)
                self.connected = False
                self._stop.wait(self.retry_seconds)

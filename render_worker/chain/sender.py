"""Signing and sending the worker's transactions so that a crash never sends one twice.

Each transaction is a typed call (`render_worker/chain/calls.py`) with a purpose whose key
(`commitBid:7`, `commitResults:7`, ...: `render_worker/chain/purposes.py`) it is stored under. It
is signed with an explicit nonce and stored (nonce, hash, signed bytes) in the worker's database
before it is broadcast; a purpose that is stored is never signed again. After a restart, `recover()`
re-broadcasts what was stored but never mined, in nonce order, so nonces stay gap-free. RPC
failures are retried with exponential backoff; a fee above the operator's cap is refused.

Several transactions are in flight at once: `submit` (and `try_send`, which the chain loop uses)
signs, stores and broadcasts, and returns without waiting for a block, and `collect`, once a pass
of the loop, looks at the receipts of everything still in flight. A worker with eight jobs to bid
on sends eight bids into the next block instead of one a block. `send` still waits for its receipt
(the operator's commands, and the rare steps whose next move needs the mined transaction), at
most one receipt timeout in the worker's loop: a transaction not mined by then is left to
`collect` (`TxPending`), so that one transaction stuck in the node's pool never stops the loop.

Only a transaction never seen mined is broadcast again by `collect`: one recorded as mined that a
chain reorganisation removed is `reconcile`'s to send again, which first asks whether what it was
for still exists (a bid on a job whose posting was removed too must not land on the next job of
that number).

The database is the key's one ledger of nonces: every program that signs for the worker's key
sends through a `TxSender` on the worker's state file (the running worker, and beside it
`render-worker stake`, `withdraw` and `unstake`), and a nonce is chosen and its transaction
stored under the file's write lock, so no two of them ever sign one nonce.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from eth_account.signers.local import LocalAccount
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_typing import HexStr
from hexbytes import HexBytes
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import (
    BlockNotFound,
    ContractCustomError,
    ContractLogicError,
    TransactionNotFound,
    Web3RPCError,
)

from render_worker.chain.calls import Call, not_yet
from render_worker.chain.purposes import Purpose, function_of
from render_worker.errors import WorkerError
from render_worker.state.models import Meta, TxRow
from render_worker.state.store import WorkerState
from tilefarm.adapters.chain.bindings import JobMarketClient
from tilefarm.adapters.chain.errors import ContractReverted

log = logging.getLogger(__name__)
T = TypeVar("T")

GAS_HEADROOM = 100_000
MAX_REVERTED_ATTEMPTS = 3
# How often a command waiting for its transaction says that it still waits.
PROGRESS_SECONDS = 10.0
RPC_ERRORS = (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)
# The meta key whose UPDATE takes the database's write lock before a nonce is chosen.
NONCE_LOCK = "nonce_lock"


class TxFailed(WorkerError):
    """A transaction was mined but reverted, or could not be sent."""


class TxPending(TxFailed):
    """A transaction sent and not mined within the receipt timeout: it stays in flight, and
    `collect` records it once mined (or broadcasts it again)."""

    def __init__(self, row: TxRow, seconds: float) -> None:
        super().__init__(
            f"{row.purpose} (nonce {row.nonce}, {row.tx_hash}) not mined after {seconds:.0f} s; "
            "still in flight, collected at a later pass"
        )
        self.row = row


def with_retries(
    what: str, call: Callable[[], T], attempts: int = 6, first_delay: float = 0.5
) -> T:
    """Run `call`, retrying RPC connection failures with exponential backoff."""
    delay = first_delay
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except RPC_ERRORS as exc:
            if attempt == attempts:
                raise WorkerError(
                    f"{what}: the RPC node kept failing ({exc}); is it running?"
                ) from exc
            log.warning(
                "%s: RPC failed (%s); retry %d/%d in %.1f s",
                what,
                exc,
                attempt,
                attempts - 1,
                delay,
            )
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")


def outbid(raw: str, fees: dict[str, int]) -> dict[str, int]:
    """`fees`, raised where needed to replace the signed transaction `raw` in a node's pool:
    nodes (geth, reth, anvil) replace a pending transaction of the same nonce only when both
    its fee cap and its tip rise by at least 10%; this asks 12.5% more, plus one wei."""
    old = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
    return {
        key: max(fees[key], int(old[key]) * 9 // 8 + 1)
        for key in ("maxFeePerGas", "maxPriorityFeePerGas")
    }


class TxSender:
    """Sends the market's transactions for one local key."""

    def __init__(
        self,
        w3: Web3,
        market: JobMarketClient,
        account: LocalAccount,
        state: WorkerState,
        *,
        max_fee_wei: int | None = None,
        receipt_timeout: float = 120.0,
        waiting: Callable[[TxRow, float], None] | None = None,
    ) -> None:
        """`waiting(row, seconds)`: given, `send` waits for its receipt as long as it takes and
        calls it every `PROGRESS_SECONDS` (an operator's command shows it waits); without it
        (the worker's loop), `send` waits one `receipt_timeout` at most."""
        self.w3 = w3
        self.market = market
        self.account = account
        self.state = state
        self.max_fee_wei = max_fee_wei
        self.receipt_timeout = receipt_timeout
        self.waiting = waiting
        self.chain_id = with_retries("chain id", lambda: w3.eth.chain_id)
        # Nonce choice, signing, storing and broadcasting happen under one lock, so two threads
        # can never sign two transactions with one nonce.
        self._lock = threading.Lock()
        # When each transaction was last handed to the node by this process (by hash): one not
        # in it is broadcast by `collect` (refused before, or stored by another process), one
        # in it for longer than the receipt timeout is broadcast again.
        self._broadcast_at: dict[str, float] = {}
        # The first nonce of a gap below ours `collect` has warned about (once a gap).
        self._gap_warned: int | None = None

    def recover(self) -> list[TxRow]:
        """Re-broadcast stored transactions that were never mined, oldest nonce first (all of
        them before waiting for any, so that they share blocks), and wait for them."""
        pending = sorted(self.in_flight(), key=lambda r: r.nonce)
        refused: set[int] = set()
        with self._lock:
            for row in pending:
                log.info("resuming %s (nonce %d, %s)", row.purpose, row.nonce, row.tx_hash)
                try:
                    self._broadcast(row)
                except TxFailed as exc:
                    refused.add(row.nonce)
                    log.warning("%s", exc)
        done = []
        for row in pending:
            try:
                done.append(self._await(row, broadcast=row.nonce in refused))
            except TxFailed as exc:
                log.warning("%s", exc)
        return done

    def collect(self) -> list[TxRow]:
        """Look once, without waiting, at every transaction in flight; returns those found
        mined or reverted now (a revert is logged: its purpose may be sent again).

        One question tells which may be done (the key's nonce count on the latest block); only
        those are asked for their receipt. A used nonce without our receipt went to another
        transaction (the row is dropped). What the node never took, or has not mined within the
        receipt timeout, is broadcast again. Only transactions never seen mined are: a nonce
        below ours missing from the chain belonged to one recorded as mined that a
        reorganisation removed, and `reconcile` sends it again (or voids it) once the follower
        sees the reorganisation; it is logged here, once.
        """
        pending = sorted(self.in_flight(), key=lambda r: r.nonce)
        if not pending:
            self._gap_warned = None
            return []
        address = self.account.address
        used = with_retries("nonce", lambda: self.w3.eth.get_transaction_count(address, "latest"))
        done, waiting = [], []
        for row in pending:
            if row.nonce >= used:
                waiting.append(row)
                continue
            receipt = with_retries(row.purpose, lambda: self._receipt(row))  # noqa: B023
            if receipt is None and self._nonce_taken(row):
                self._finish(row, "dropped")
                log.warning("%s: nonce %d was used by another transaction", row.purpose, row.nonce)
                continue
            if receipt is None:  # a reorganisation took its block between the two questions
                waiting.append(row)
                continue
            try:
                self._record(row, receipt)
            except TxFailed as exc:
                log.warning("%s", exc)
            done.append(row)
        now = time.monotonic()
        for row in waiting:
            at = self._broadcast_at.get(row.tx_hash)
            if at is None or now - at > self.receipt_timeout:
                try:
                    self._broadcast(row)
                except TxFailed as exc:
                    log.warning("%s", exc)
        if not waiting or waiting[0].nonce <= used:
            self._gap_warned = None
        elif self._gap_warned != used:
            self._gap_warned = used
            log.warning(
                "nonces %d..%d are not on the chain (a reorganisation removed what was mined "
                "there?), and %s waits for them; they are sent again once the chain check sees it",
                used, waiting[0].nonce - 1, waiting[0].purpose,
            )  # fmt: skip
        return done

    def _nonce_taken(self, row: TxRow) -> bool:
        """Whether `row`'s nonce is used on the latest block by another transaction: asked
        again, and its receipt looked for again, so that a block a reorganisation took away
        between two questions does not make a transaction of ours look replaced."""
        address = self.account.address
        used = with_retries("nonce", lambda: self.w3.eth.get_transaction_count(address, "latest"))
        return used > row.nonce and with_retries(row.purpose, lambda: self._receipt(row)) is None

    def in_flight(self) -> list[TxRow]:
        """The stored transactions not seen mined yet."""
        with self.state.session() as s:
            return list(s.scalars(select(TxRow).where(TxRow.status == "sent")))

    def reconcile(
        self,
        first_block: int,
        last_block: int | None = None,
        void: Callable[[Purpose], bool] = lambda _purpose: False,
    ) -> list[TxRow]:
        """Send again what a chain reorganisation removed.

        Our transactions recorded as mined (or reverted) in blocks `first_block`..`last_block`
        that the chain no longer holds are broadcast again, with their stored bytes and nonces,
        oldest nonce first, and awaited: what they did happens again, once, or they revert on the
        new chain and their purpose may be tried again.

        A removed transaction whose purpose `void` names (one about a job whose posting was
        removed too: the next job posted takes its number, and an old bid must not land on it)
        is not sent again: its nonce goes to an empty transfer to ourselves, and its purpose may
        be sent anew.
        """
        with self.state.session() as s:
            query = select(TxRow).where(
                TxRow.status.in_(("mined", "reverted")), TxRow.block_number >= first_block
            )
            if last_block is not None:
                query = query.where(TxRow.block_number <= last_block)
            rows = list(s.scalars(query))
        removed = sorted((row for row in rows if not self._on_chain(row)), key=lambda r: r.nonce)
        for i, row in enumerate(removed):
            if _voided(row, void):
                log.warning(
                    "%s (nonce %d) was in block %s, which the chain no longer has, nor what it "
                    "was for; not sending it again (an empty transfer takes its nonce)",
                    row.purpose, row.nonce, row.block_number,
                )  # fmt: skip
                removed[i] = self._void(row)
                continue
            log.warning(
                "%s (nonce %d) was in block %s, which the chain no longer has; sending it again",
                row.purpose, row.nonce, row.block_number,
            )  # fmt: skip
            self._finish(row, "sent")
        refused: set[int] = set()  # nonces the node refused now: broadcast again when awaited
        with self._lock:
            for row in removed:  # all of them first, so that no nonce waits for a gap
                try:
                    self._broadcast(row)
                except TxFailed as exc:
                    refused.add(row.nonce)
                    log.warning("%s", exc)
        for row in removed:
            try:
                self._await(row, broadcast=row.nonce in refused)
            except TxFailed as exc:
                log.warning("%s", exc)
        return removed

    def _on_chain(self, row: TxRow) -> bool:
        """Whether `row`'s transaction is in a block of the current chain (its row updated)."""
        receipt = with_retries(row.purpose, lambda: self._receipt(row))
        if receipt is None:
            return False
        number = receipt["blockNumber"]
        try:
            block = with_retries("block", lambda: self.w3.eth.get_block(number))
        except BlockNotFound:  # the chain just became shorter than the receipt says
            return False
        if bytes(block["hash"]) != bytes(receipt["blockHash"]):
            return False
        if number != row.block_number:
            status = "mined" if receipt["status"] == 1 else "reverted"
            self._finish(row, status, number, receipt["gasUsed"])
        return True

    def sent(self, purpose: Purpose | str) -> TxRow | None:
        """The stored transaction for `purpose` (or a stored key), if any."""
        key = purpose if isinstance(purpose, str) else purpose.key
        with self.state.session() as s:
            return s.get(TxRow, key)

    def submit(self, call: Call) -> TxRow:
        """Send `call` once for its purpose without waiting for a block: the stored row, `sent`
        until `collect` finds its receipt (a purpose sent before: its row as it stands).

        A purpose whose transaction reverted is signed anew (the pre-flight call judges again).
        Raises `ContractReverted` (with the contract's custom error) when the call would revert,
        before anything is signed; `TxFailed` when the node refuses the transaction or the
        purpose reverted too often. A transaction the node refuses outright (not enough ETH for
        its gas and value, say) never takes its nonce: an empty transfer to ourselves does
        (`_void`), so that no later nonce waits for it, and the purpose may be sent anew.
        """
        row = self.sent(call.purpose)
        if row is not None and row.status == "reverted":
            self._retire(row)  # a mined revert may be retried: the pre-flight call judges again
        elif row is not None and row.status != "dropped":
            return row
        with self._lock:
            row = self._sign_and_store(call)
            try:
                self._broadcast(row)
            except TxFailed as refused:
                if not _waits_for_a_gap(refused):  # else `collect` broadcasts it again
                    self._give_nonce_away(row, refused)
                raise
        log.info("sent %s: %s (nonce %d)", row.purpose, row.tx_hash, row.nonce)
        return row

    def _give_nonce_away(self, row: TxRow, refused: TxFailed) -> None:
        """`row`, just signed, was refused by the node: an empty transfer takes its nonce."""
        log.warning(
            "%s (nonce %d) was refused by the node (%s); an empty transfer to ourselves takes "
            "its nonce", row.purpose, row.nonce, refused.__cause__ or refused,
        )  # fmt: skip
        filler = self._void(row)
        try:
            self._broadcast(filler)
        except TxFailed as exc:  # stored: `collect` broadcasts it again
            log.warning("%s", exc)

    def send(self, call: Call) -> TxRow:
        """Send `call` once for its purpose and wait for it; returns the mined row.

        Raises `ContractReverted` (with the contract's custom error) when the call would revert,
        before anything is signed, `TxFailed` when it was mined and reverted, and `TxPending`
        when it is not mined within the receipt timeout (unless the sender was made `waiting`:
        then it waits on): the row stays in flight, for `collect`.
        """
        row = self.submit(call)
        if row.status == "mined":
            return row
        # Each transaction is broadcast once: the node answers a second copy "already imported".
        return self._await(row, broadcast=row.tx_hash not in self._broadcast_at)

    def try_send(self, call: Call) -> bool:
        """Send `call` once for its purpose, without waiting; True once `collect` found it mined
        (the chain loop calls it again at each pass until then). A revert or a failure is
        logged, not raised (the contract's "not yet" quietly: it is tried again at a later
        pass)."""
        try:
            return self.submit(call).status == "mined"
        except ContractReverted as exc:
            level = logging.DEBUG if not_yet(exc.error) else logging.INFO
            log.log(level, "%s not sent: %s", call.purpose.key, exc)
        except TxFailed as exc:
            log.warning("%s", exc)
        except (Web3RPCError, ValueError) as exc:  # one step's failure never ends the pass
            log.warning("%s not sent: the node answered %s", call.purpose.key, exc)
        return False

    def _sign_and_store(self, call: Call) -> TxRow:
        purpose = call.purpose.key
        fn: ContractFunction = self.market.function(call.function, *call.args)
        tx: dict[str, Any] = {
            "from": self.account.address,
            "value": call.value,
            "chainId": self.chain_id,
        }
        # Estimated on the pending block, the one this transaction can at best be mined in: its
        # number and timestamp are the next ones, so a call that becomes valid there (a reveal
        # once the bid window's last second is over, a draw once its anchor block is mined) is
        # sent now instead of after one more block.
        try:
            tx["gas"] = with_retries(
                purpose,
                lambda: fn.estimate_gas(tx, block_identifier="pending"),  # type: ignore[arg-type]
            )
        except (ContractCustomError, ContractLogicError) as exc:
            raise self.market.revert_error(exc, call.function) from None
        # Generous headroom: the estimate is taken on today's state, but a transaction mined after
        # another of the same block may do more (e.g. the last attestation completes the job and
        # refunds the artist). Unused gas is not paid for.
        tx["gas"] = int(tx["gas"] * 1.5) + GAS_HEADROOM
        tx.update(self._fees())
        chain = with_retries(
            "nonce", lambda: self.w3.eth.get_transaction_count(self.account.address, "pending")
        )
        # The nonce is chosen and the signed transaction stored in one write transaction of the
        # database: another process sending for this key from the same state file
        # (`render-worker unstake` beside the running worker) waits for it, then sees this
        # nonce taken, even before it is broadcast. The node's count may be read before: a
        # nonce stored since is in the ledger, read under the lock.
        with self.state.session() as s:
            _write_lock(s)
            tx["nonce"] = _next_nonce(s, chain)
            built = fn.build_transaction(tx)  # type: ignore[arg-type]
            signed = self.account.sign_transaction(built)  # type: ignore[arg-type]
            row = TxRow(
                purpose=purpose,
                nonce=tx["nonce"],
                tx_hash="0x" + bytes(signed.hash).hex(),
                raw="0x" + bytes(signed.raw_transaction).hex(),
                status="sent",
            )
            s.merge(row)  # durable before it leaves this process
        return row

    def _void(self, row: TxRow) -> TxRow:
        """An empty transfer to ourselves that takes `row`'s nonce instead of it (so later nonces
        stay valid), stored with `row` marked dropped in one database transaction. A node that
        put the removed transaction back in its pool replaces it only for higher fees, so the
        transfer outbids it."""
        fees = outbid(row.raw, self._fees(capped=False))
        tx = {"to": self.account.address, "value": 0, "gas": 21_000, "nonce": row.nonce,
              "chainId": self.chain_id, **fees}  # fmt: skip
        signed = self.account.sign_transaction(tx)  # type: ignore[arg-type]
        filler = TxRow(
            purpose=Purpose.filler(row.nonce).key,
            nonce=row.nonce,
            tx_hash="0x" + bytes(signed.hash).hex(),
            raw="0x" + bytes(signed.raw_transaction).hex(),
            status="sent",
        )
        row.status, row.block_number, row.gas_used = "dropped", None, None
        with self.state.session() as s:
            s.merge(row)
            s.merge(filler)
        return filler

    def _fees(self, capped: bool = True) -> dict[str, int]:
        """The fees to offer now; above the operator's cap they are refused, unless `capped` is
        False (an empty transfer replacing a removed transaction costs 21,000 gas at most)."""
        block = with_retries("latest block", lambda: self.w3.eth.get_block("latest"))
        base = int(block.get("baseFeePerGas", 0) or 0)
        tip = with_retries("priority fee", lambda: self.w3.eth.max_priority_fee)
        max_fee = 2 * base + tip
        if capped and self.max_fee_wei is not None and max_fee > self.max_fee_wei:
            raise TxFailed(
                f"the network asks up to {max_fee} wei/gas, above your cap of {self.max_fee_wei}; "
                "wait, or raise max_fee_wei in the worker's config"
            )
        return {"maxFeePerGas": max_fee, "maxPriorityFeePerGas": tip}

    def _broadcast(self, row: TxRow) -> None:
        try:
            with_retries(row.purpose, lambda: self.w3.eth.send_raw_transaction(HexStr(row.raw)))
        except Web3RPCError as exc:
            message = str(exc).lower()
            known = "already known" in message or "already imported" in message
            # "nonce too low": mined already (the receipt will show) or replaced (see _await)
            if not known and "nonce too low" not in message:
                raise TxFailed(f"{row.purpose}: the node refused the transaction: {exc}") from exc
        self._broadcast_at[row.tx_hash] = time.monotonic()

    def _await(self, row: TxRow, *, broadcast: bool = True) -> TxRow:
        """Wait for `row`'s receipt, broadcasting it first unless it was just broadcast (each
        transaction once: the node answers a second copy with "already imported").

        Without `waiting`, one receipt timeout at most: then `TxPending`, and the row stays in
        flight for `collect`. With it, as long as it takes, broadcasting again after each
        receipt timeout and saying every `PROGRESS_SECONDS` that it still waits. A nonce below
        `row`'s missing from the chain is not sent from here: still in flight, it is on its
        way; recorded as mined, a reorganisation removed it, and `reconcile` sends it again."""
        if broadcast:
            self._broadcast(row)
        started = time.monotonic()
        deadline = started + self.receipt_timeout
        next_progress = started + PROGRESS_SECONDS
        while True:
            try:
                receipt = with_retries(
                    row.purpose, lambda: self.w3.eth.get_transaction_receipt(HexStr(row.tx_hash))
                )
                break
            except TransactionNotFound:
                pass
            nonce_used = with_retries(
                "nonce", lambda: self.w3.eth.get_transaction_count(self.account.address, "latest")
            )
            if nonce_used > row.nonce:
                # Mined between our two questions, or the nonce went to something else.
                found = self._receipt(row)
                if found is not None:
                    receipt = found
                    break
                self._finish(row, "dropped")
                raise TxFailed(f"{row.purpose}: nonce {row.nonce} was used by another transaction")
            now = time.monotonic()
            if now > deadline:
                if self.waiting is None:
                    raise TxPending(row, now - started)
                self._broadcast(row)
                deadline = now + self.receipt_timeout
            if self.waiting is not None and now > next_progress:
                self.waiting(row, now - started)
                next_progress = now + PROGRESS_SECONDS
            time.sleep(0.2)
        return self._record(row, receipt)

    def _record(self, row: TxRow, receipt: Any) -> TxRow:
        """Store what `receipt` says of `row`; raises `TxFailed` when it reverted."""
        status = "mined" if receipt["status"] == 1 else "reverted"
        self._finish(row, status, receipt["blockNumber"], receipt["gasUsed"])
        if status == "reverted":
            raise TxFailed(
                f"{row.purpose} reverted in block {receipt['blockNumber']} ({row.tx_hash}): "
                f"{self._revert_reason(row, receipt)}"
            )
        return row

    def _retire(self, row: TxRow) -> None:
        """Keep a reverted attempt under another key, so its purpose can be sent again."""
        purpose = Purpose.parse(row.purpose)
        retired = TxRow.purpose.startswith(purpose.retired_prefix, autoescape=True)
        with self.state.session() as s:
            attempts = s.scalar(select(func.count()).where(retired))
            if attempts is not None and attempts >= MAX_REVERTED_ATTEMPTS - 1:
                raise TxFailed(f"{row.purpose} reverted {attempts + 1} times; giving up")
            s.delete(s.get(TxRow, row.purpose))
            s.flush()
            s.add(
                TxRow(
                    purpose=purpose.retire(row.nonce).key, nonce=row.nonce, tx_hash=row.tx_hash,
                    raw=row.raw, status="reverted", block_number=row.block_number,
                    gas_used=row.gas_used,
                )
            )  # fmt: skip

    def _receipt(self, row: TxRow) -> Any:
        try:
            return self.w3.eth.get_transaction_receipt(HexStr(row.tx_hash))
        except TransactionNotFound:
            return None

    def _revert_reason(self, row: TxRow, receipt: Any) -> str:
        """Why a mined transaction reverted: replayed as a call on the state before its block."""
        tx = self.w3.eth.get_transaction(HexStr(row.tx_hash))
        if receipt["gasUsed"] >= tx["gas"]:
            return f"out of gas ({receipt['gasUsed']} of {tx['gas']})"
        call = {"from": tx["from"], "to": tx["to"], "data": tx["input"], "value": tx["value"]}
        try:
            self.w3.eth.call(call, receipt["blockNumber"] - 1)  # type: ignore[arg-type]
        except (ContractCustomError, ContractLogicError) as exc:
            return str(self.market.revert_error(exc, function_of(row.purpose)))
        return "the call succeeds on the state before its block (another transaction raced it)"

    def _finish(
        self, row: TxRow, status: str, block: int | None = None, gas: int | None = None
    ) -> None:
        row.status, row.block_number, row.gas_used = status, block, gas
        with self.state.session() as s:
            s.merge(row)


def _write_lock(s: Session) -> None:
    """Give `s`'s transaction the database's write lock now, before it reads: its first statement
    is a write (an UPDATE, of a row that need not exist), which SQLite starts by taking the
    file's lock, held until the commit; another connection's write waits for it (the engine's
    busy timeout)."""
    s.execute(update(Meta).where(Meta.key == NONCE_LOCK).values(value=Meta.value))


def _next_nonce(s: Session, chain: int) -> int:
    """The nonce to sign with: the chain's next (`chain`, counting the node's pool) or, when
    higher, the one after the highest this key's ledger holds (stored, maybe not broadcast
    yet), read in `s`, which holds the write lock."""
    highest = s.scalar(select(func.max(TxRow.nonce)).where(TxRow.status != "dropped"))
    return max(chain, -1 if highest is None else highest + 1)


def _waits_for_a_gap(refused: TxFailed) -> bool:
    """Whether the node refused a transaction only because a lower nonce is missing from its
    pool (some nodes take no transaction beyond a gap): it is taken once the gap is filled."""
    message = str(refused.__cause__ or refused).lower()
    return "nonce too high" in message or "gapped" in message


def _voided(row: TxRow, void: Callable[[Purpose], bool]) -> bool:
    """Whether `void` says `row`'s transaction is not to be sent again (a key this worker never
    wrote is sent again, as before)."""
    try:
        purpose = Purpose.parse(row.purpose)
    except ValueError:
        return False
    return void(purpose)


__all__ = ["ContractReverted", "TxFailed", "TxPending", "TxSender", "with_retries"]

"""The JobMarket contract as web3 sees it: one deployed market's ABI (its events and custom
errors by selector), calls, sends, and its logs decoded into the event models of
`tilefarm.adapters.chain.events`. The views are `tilefarm.adapters.chain.reads`, the typed writes
`tilefarm.adapters.chain.bindings`.
"""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Self, cast

from eth_abi.abi import decode as abi_decode
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError
from web3.types import BlockIdentifier, RPCEndpoint, TxParams, TxReceipt, Wei

from tilefarm.adapters.chain.abi_codec import LogDecoder, ViewCodec, abi_type
from tilefarm.adapters.chain.artifacts import load_artifact
from tilefarm.adapters.chain.deploy import Deployments
from tilefarm.adapters.chain.errors import ChainError, ContractReverted
from tilefarm.adapters.chain.events import MarketEvent
from tilefarm.adapters.chain.records import (
    Receipt,
)
from tilefarm.adapters.paths import BUILD_DIR

CONTRACT_NAME = "JobMarket"
Sender = str | LocalAccount
# How long a send waits for its receipt (web3's own default).
RECEIPT_TIMEOUT = 120.0


class MarketContract:
    """One deployed JobMarket: calls, sends and decoded events."""

    def __init__(self, w3: Web3, address: str, abi: list[dict[str, Any]]) -> None:
        self.w3 = w3
        self.contract: Contract = w3.eth.contract(
            address=Web3.to_checksum_address(address), abi=abi
        )
        self._errors: dict[bytes, tuple[str, list[str], list[str]]] = {}
        self._logs = LogDecoder(abi)
        self._views = {
            str(item["name"]): ViewCodec(item)
            for item in abi
            if item["type"] == "function" and item.get("stateMutability") in ("view", "pure")
        }
        for item in abi:
            if item["type"] == "error":
                types = [abi_type(i) for i in item["inputs"]]
                selector = keccak(text=f"{item['name']}({','.join(types)})")[:4]
                self._errors[selector] = (item["name"], [i["name"] for i in item["inputs"]], types)

    @classmethod
    def from_deployments(
        cls, w3: Web3, deployments: Deployments, build_dir: Path = BUILD_DIR
    ) -> Self:
        """The market recorded in a deployments file, with the ABI from `build_dir`."""
        abi = load_artifact(CONTRACT_NAME, build_dir).abi
        return cls(w3, deployments.address(CONTRACT_NAME), abi)

    @classmethod
    def from_build(cls, w3: Web3, address: str, build_dir: Path = BUILD_DIR) -> Self:
        """The market at `address`, with the ABI from `build_dir`."""
        return cls(w3, address, load_artifact(CONTRACT_NAME, build_dir).abi)

    @property
    def address(self) -> str:
        return str(self.contract.address)

    # -- events

    def decode_receipt(self, receipt: TxReceipt) -> list[MarketEvent]:
        """The market's events in a receipt, as models."""
        return [
            self._decode(log) for log in receipt["logs"] if log["address"] == self.contract.address
        ]

    def events(
        self,
        from_block: int = 0,
        to_block: BlockIdentifier = "latest",
        job_id: int | None = None,
        kinds: Sequence[type[MarketEvent]] = (),
    ) -> list[MarketEvent]:
        """Every market event in the block range, in order; only those of `job_id` (which the
        node picks out by their `jobId` topic) and of `kinds` (by their signature), if given."""
        query: dict[str, Any] = {
            "address": self.contract.address,
            "fromBlock": hex(from_block) if isinstance(from_block, int) else from_block,
            "toBlock": hex(to_block) if isinstance(to_block, int) else to_block,
        }
        wanted = {"0x" + self._logs.topic(k.__name__).hex() for k in kinds}
        filters = self._logs.job_filters(job_id) if job_id is not None else None
        if filters is None:
            queries = [{**query, "topics": [sorted(wanted)]} if wanted else query]
        else:
            queries = []
            for topics in filters:
                chosen = sorted(set(topics[0]) & wanted) if wanted else topics[0]
                if chosen:
                    queries.append({**query, "topics": [chosen, *topics[1:]]})
        logs: list[Any] = []
        for q in queries:
            # The node's answer as it is (hex strings): web3's formatting of every field of
            # every log costs more than decoding it.
            answer = self.w3.provider.make_request(RPCEndpoint("eth_getLogs"), [q])
            if "error" in answer:
                raise ChainError(f"eth_getLogs: the node answered {answer['error']!r:.300}")
            logs += answer["result"]
        if len(queries) > 1:
            logs.sort(key=lambda log: (int(log["blockNumber"], 16), int(log["logIndex"], 16)))
        decoded = [self._decode(log) for log in logs]
        if job_id is None:
            return decoded
        return [e for e in decoded if e.get("job_id") == job_id]

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
        return self._logs.decode(log)

    def _view(self, name: str) -> ViewCodec:
        try:
            return self._views[name]
        except KeyError:
            raise ChainError(f"the JobMarket ABI has no view named {name}") from None

    def _function(self, name: str, *args: Any) -> ContractFunction:
        return cast(ContractFunction, self.contract.get_function_by_name(name)(*args))

    def _call(self, name: str, *args: Any) -> Any:
        try:
            return self._function(name, *args).call()
        except (ContractCustomError, ContractLogicError, ValueError) as exc:
            if isinstance(exc, ValueError) and _revert_data(exc) is None:
                raise  # a node error, not a revert
            raise self._reverted(exc, name) from None

    def _send(
        self,
        sender: Sender,
        name: str,
        *args: Any,
        value: int = 0,
        on_sent: Callable[[str], None] | None = None,
        timeout: float = RECEIPT_TIMEOUT,
        chain_id: int | None = None,
        before_sign: Callable[[TxParams], None] | None = None,
        on_signed: Callable[[str], None] | None = None,
    ) -> Receipt:
        """Send `name(*args)` and wait up to `timeout` seconds for its receipt. `on_sent` hears
        the transaction's hash once the node took it, before the wait: whoever must say what
        to look up when the wait fails (a timeout, a node gone) has it.

        For a local key only, three hooks for a signer that does not trust the node (it
        suggests the gas, the fees and, unless `chain_id` is given, the chain id signed for):
        `chain_id` is signed for instead of the node's; `before_sign` sees the built
        transaction and may refuse it by raising (nothing is signed); `on_signed` hears the
        hash computed here from the signed transaction, before it is sent, so that a send that
        fails after the node took it still leaves it. A node that answers another hash than
        that one is a `ChainError` naming both."""
        fn = self._function(name, *args)
        address = sender if isinstance(sender, str) else sender.address
        tx: TxParams = {"from": checksummed(address), "value": Wei(value)}
        if chain_id is not None:
            tx["chainId"] = chain_id
        if isinstance(sender, str) and (before_sign or on_signed):
            raise TypeError("before_sign and on_signed need a local key: a node signs for it")
        try:
            if isinstance(sender, str):
                tx_hash = bytes(fn.transact(tx))
            else:
                tx["nonce"] = self.w3.eth.get_transaction_count(sender.address, "pending")
                built = fn.build_transaction(tx)
                if before_sign is not None:
                    before_sign(built)
                signed = sender.sign_transaction(built)  # type: ignore[arg-type]
                tx_hash = bytes(signed.hash)
                if on_signed is not None:
                    on_signed("0x" + tx_hash.hex())
                answered = bytes(self.w3.eth.send_raw_transaction(signed.raw_transaction))
                if answered != tx_hash:
                    raise ChainError(
                        f"the node answered transaction 0x{answered.hex()} for the {name} "
                        f"signed here as transaction 0x{tx_hash.hex()}: not the same"
                    )
        except (ContractCustomError, ContractLogicError, ValueError) as exc:
            if isinstance(exc, ValueError) and _revert_data(exc) is None:
                raise  # a node error, not a revert
            raise self._reverted(exc, name) from None
        if on_sent is not None:
            on_sent("0x" + tx_hash.hex())
        receipt = self.w3.eth.wait_for_transaction_receipt(HexBytes(tx_hash), timeout=timeout)
        if receipt["status"] != 1:
            raise ChainError(
                f"{name} reverted in block {receipt['blockNumber']} (tx 0x{tx_hash.hex()})"
            )
        return Receipt(
            tx_hash="0x" + tx_hash.hex(),
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


def checksummed(value: str) -> str:
    """`value` as a checksummed address (what web3 wants for every address argument)."""
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

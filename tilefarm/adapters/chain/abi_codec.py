"""The market's logs and views, encoded and decoded straight from the ABI with eth_abi, at a
tenth of web3's cost per item: a server catching up, or an auditor reading a whole market,
decodes every log there is and reads every job.

Logs (`LogDecoder`): the indexed arguments from the topics, the others from the data, structs as
dicts by their components' names, addresses checksummed and bytes as 0x-hex (what web3's
`process_log` gives). An indexed argument of a dynamic type (a string, bytes, an array) is its
keccak hash in the topic, as the EVM stores it; the market indexes none. A string that is not
UTF-8 (anyone may send one) is read with U+FFFD for its bad bytes, where web3 raised, which left
an indexer retrying the same block for ever.

Views (`ViewCodec`): a call's data from its arguments, and its answer as web3's `call()` returns
it (one output alone, several as a tuple, structs as tuples, addresses checksummed, bytes as
bytes)."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils.crypto import keccak
from faster_eth_abi import decode as abi_decode
from faster_eth_abi import encode as abi_encode

from tilefarm.adapters.chain.errors import ChainError
from tilefarm.adapters.chain.events import MarketEvent, checksum_address, event_model


def abi_type(item: dict[str, Any]) -> str:
    """The canonical ABI type of an input (`(uint256,address)[]` for an array of structs)."""
    if item["type"].startswith("tuple"):
        inner = ",".join(abi_type(c) for c in item["components"])
        return f"({inner}){item['type'][5:]}"
    return str(item["type"])


Convert = Callable[[Any], Any]


@dataclass(frozen=True)
class _EventAbi:
    name: str
    indexed: tuple[str, ...]  # the indexed arguments' names, in topic order
    from_topic: tuple[Convert, ...]  # a topic (32 bytes) to the argument's value
    data: tuple[str, ...]  # the other arguments' names, in data order
    data_types: tuple[str, ...]
    from_data: tuple[Convert, ...]  # eth_abi's decoded value to the argument's value


class LogDecoder:
    """Decodes the logs of one contract's ABI into the event models of
    `tilefarm.adapters.chain.events`."""

    def __init__(self, abi: list[dict[str, Any]]) -> None:
        self._events: dict[bytes, _EventAbi] = {}
        for item in abi:
            if item["type"] != "event" or item.get("anonymous"):
                continue
            types = ",".join(abi_type(i) for i in item["inputs"])
            indexed = [i for i in item["inputs"] if i.get("indexed")]
            data = [i for i in item["inputs"] if not i.get("indexed")]
            self._events[keccak(text=f"{item['name']}({types})")] = _EventAbi(
                name=item["name"],
                indexed=tuple(i["name"] for i in indexed),
                from_topic=tuple(_topic_converter(i) for i in indexed),
                data=tuple(i["name"] for i in data),
                data_types=tuple(_lenient(abi_type(i)) for i in data),
                from_data=tuple(_converter(i) for i in data),
            )
        # Where each event naming a job has its `jobId` among its topics (1 for the first indexed
        # argument), so that a node can pick out a job's logs; None if one has it in its data.
        self._job_topic: dict[bytes, int] | None = {}
        for topic, e in self._events.items():
            if "jobId" in e.indexed:
                self._job_topic[topic] = 1 + e.indexed.index("jobId")
            elif "jobId" in e.data:
                self._job_topic = None
                break

    def job_filters(self, job_id: int) -> list[list[Any]] | None:
        """The `eth_getLogs` topic filters that together pick out every log naming job `job_id`
        (one per position of `jobId` among the topics), or None when some event carries it in
        its data, where a node cannot look."""
        if self._job_topic is None:
            return None
        word = "0x" + job_id.to_bytes(32, "big").hex()
        filters = []
        for position in sorted(set(self._job_topic.values())):
            kinds = ["0x" + t.hex() for t, at in self._job_topic.items() if at == position]
            filters.append([kinds, *([None] * (position - 1)), word])
        return filters

    def topic(self, name: str) -> bytes:
        """The first topic of event `name`'s logs (its signature's hash)."""
        for topic, event in self._events.items():
            if event.name == name:
                return topic
        raise ChainError(f"the contract's ABI has no event named {name}")

    def decode(self, log: Any) -> MarketEvent:
        """One log, as web3's `get_logs` gives it or as the node's JSON-RPC answer has it (hex
        strings), as its event model."""
        topics = [_bytes(t) for t in log["topics"]]
        event = self._events.get(topics[0]) if topics else None
        if event is None or len(topics) != 1 + len(event.indexed):
            raise ChainError(
                f"log 0x{_bytes(log['transactionHash']).hex()}:{_int(log['logIndex'])} is no "
                "JobMarket event"
            )
        args: dict[str, Any] = {
            "block_number": _int(log["blockNumber"]),
            "transaction_hash": "0x" + _bytes(log["transactionHash"]).hex(),
            "log_index": _int(log["logIndex"]),
        }
        for name, convert, topic in zip(event.indexed, event.from_topic, topics[1:], strict=True):
            args[name] = convert(topic)
        values = abi_decode(event.data_types, _bytes(log["data"]))
        for name, convert, value in zip(event.data, event.from_data, values, strict=True):
            args[name] = convert(value)
        return event_model(event.name, args, {})


def _lenient(kind: str) -> str:
    """A string's type read as bytes (the same encoding): whoever calls the market chooses its
    strings, and one that is not UTF-8 must not stop every reader of its logs."""
    return "bytes" + kind[6:] if kind.startswith("string") else kind


def _text(value: bytes) -> str:
    return bytes(value).decode("utf-8", errors="replace")


def _bytes(value: str | bytes) -> bytes:
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


def _int(value: str | int) -> int:
    return int(value, 16) if isinstance(value, str) else value


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _same(value: Any) -> Any:
    return value


def _topic_converter(item: dict[str, Any]) -> Convert:
    """An indexed argument's value from its topic: a value type read from the word; a dynamic
    type (string, bytes, array, struct) is only its hash there."""
    kind = abi_type(item)
    if kind.startswith("uint"):
        return lambda word: int.from_bytes(word, "big")
    if kind == "address":
        return lambda word: checksum_address(_hex(word[12:]))
    if kind.startswith("bytes") and kind != "bytes":
        return lambda word: _hex(word[: int(kind[5:])])
    if kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("("):
        return _hex
    convert = _converter(item)
    return lambda word: convert(abi_decode((kind,), word)[0])


def _converter(item: dict[str, Any]) -> Convert:
    """A decoded value as web3 gives it: structs as dicts, addresses checksummed, bytes as
    0x-hex, arrays as lists."""
    kind = str(item["type"])
    if kind.endswith("]"):
        inner = _converter({**item, "type": kind[: kind.rindex("[")]})
        return lambda value: [inner(v) for v in value]
    if kind == "tuple":
        fields = [(c["name"], _converter(c)) for c in item["components"]]
        return lambda value: {
            name: convert(v) for (name, convert), v in zip(fields, value, strict=True)
        }
    if kind == "address":
        return checksum_address
    if kind == "string":
        return _text
    if kind.startswith("bytes"):
        return lambda value: _hex(bytes(value))
    return _same


class ViewCodec:
    """One view function of the ABI: its call data, and its answer decoded."""

    def __init__(self, item: dict[str, Any]) -> None:
        self.name = str(item["name"])
        self._inputs = tuple(abi_type(i) for i in item["inputs"])
        self._output_types = tuple(abi_type(o) for o in item["outputs"])
        self._convert = tuple(_as_called(o) for o in item["outputs"])
        self._selector = keccak(text=f"{self.name}({','.join(self._inputs)})")[:4]

    def calldata(self, args: Sequence[Any]) -> str:
        """The call's data, 0x-hex."""
        return "0x" + (self._selector + abi_encode(self._inputs, tuple(args))).hex()

    def result(self, answer: str) -> Any:
        """The view's answer (0x-hex) as web3's `call()` returns it."""
        raw = bytes.fromhex(answer.removeprefix("0x"))
        values = abi_decode(self._output_types, raw)
        out = [convert(v) for convert, v in zip(self._convert, values, strict=True)]
        return out[0] if len(out) == 1 else tuple(out)


def _as_called(item: dict[str, Any]) -> Convert:
    """A decoded output as web3's `call()` gives it: structs as tuples, addresses checksummed,
    the rest as eth_abi decodes it."""
    kind = str(item["type"])
    if kind.endswith("]"):
        inner = _as_called({**item, "type": kind[: kind.rindex("[")]})
        return lambda value: [inner(v) for v in value]
    if kind == "tuple":
        fields = [_as_called(c) for c in item["components"]]
        if all(f is _same for f in fields):
            return _same
        return lambda value: tuple(f(v) for f, v in zip(fields, value, strict=True))
    if kind == "address":
        return checksum_address
    return _same

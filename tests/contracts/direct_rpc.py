"""Requests straight to the test node, for tests that send thousands of them: Brownie spends about
ten JSON-RPC requests on a transaction and web3 several milliseconds on a call. `rpc` sends one
request over a kept-alive connection, `Views` reads the market's views through it, `mine_blocks`
mines many blocks in one request."""

import http.client
import itertools
import json
from urllib.parse import urlsplit

from brownie import web3
from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak


class _Node:
    """One kept-alive HTTP connection to the test node. web3's provider goes through `requests`,
    which scans the whole environment for proxy settings on every request: several times the
    cost of the request itself."""

    def __init__(self):
        self._connection = None
        self._ids = itertools.count()

    def request(self, method, params):
        if self._connection is None:
            url = urlsplit(web3.provider.endpoint_uri)
            self._connection = http.client.HTTPConnection(url.hostname, url.port)
        message = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        body = json.dumps(message)
        self._connection.request("POST", "/", body, {"Content-Type": "application/json"})
        return json.loads(self._connection.getresponse().read())


_NODE = _Node()


def rpc(method, *params):
    """The node's whole JSON-RPC answer (`result` or `error`) to `method(*params)`."""
    return _NODE.request(method, list(params))


class Views:
    """The contract's view functions called straight through the node's JSON-RPC, without the
    middleware of Brownie and web3 (about four times faster): for tests that read the whole
    market after every step. A struct comes back as a dict of its fields, a list of addresses
    as checksummed strings."""

    def __init__(self, contract):
        self.address = contract.address
        self._functions = {
            item["name"]: item
            for item in contract.abi
            if item["type"] == "function" and item["stateMutability"] in ("view", "pure")
        }

    def __getattr__(self, name):
        if name.startswith("_") or name not in self._functions:
            raise AttributeError(f"the market has no view {name}")
        item = self._functions[name]
        inputs = [_abi_type(i) for i in item["inputs"]]
        selector = keccak(text=f"{name}({','.join(inputs)})")[:4]

        def call(*args):
            data = selector + encode(inputs, [getattr(a, "address", a) for a in args])
            response = rpc("eth_call", {"to": self.address, "data": "0x" + data.hex()}, "latest")
            if "error" in response:
                raise RuntimeError(f"{name}{args} failed: {response['error']}")
            raw = bytes.fromhex(response["result"][2:])
            values = decode([_abi_type(o) for o in item["outputs"]], raw)
            shaped = [_shape(o, v) for o, v in zip(item["outputs"], values, strict=True)]
            return shaped[0] if len(shaped) == 1 else shaped

        return call


def _abi_type(item):
    if item["type"].startswith("tuple"):
        return f"({','.join(_abi_type(c) for c in item['components'])}){item['type'][5:]}"
    return item["type"]


def _shape(item, value):
    if item["type"] == "tuple":
        return {c["name"]: _shape(c, v) for c, v in zip(item["components"], value, strict=True)}
    if item["type"] == "address":
        return to_checksum_address(value)
    if item["type"] == "address[]":
        return [to_checksum_address(v) for v in value]
    return value


def mine_blocks(count):
    """Mines `count` empty blocks in one anvil call (Brownie's `chain.mine` makes one per block);
    the clock does not move beyond what `chain.sleep` already added."""
    rpc("anvil_mine", hex(count))

"""Whether the contract a server names as its market runs this checkout's JobMarket: its runtime
code, as the chain holds it, is compared with this checkout's build
(`build/contracts/JobMarket.json`, `deployedBytecode`), and so is the code of the two contracts
it delegates to (its `roundKeeper()`, which runs `postJob`, and its `panelCourt()`).

Only a contract's immutables may differ: values its constructor writes into the code (the
deployment's fee, stakes, treasury and the delegates' addresses). The build leaves each of
them as 32 zero bytes after a PUSH32; those are the bytes not compared (the artifact's
`immutableReferences` are used instead where it lists them). The metadata hash at the end is
compared too: it is the hash of the very sources built.

What is compared is what the node answers: a node run by the server can answer anything, so
the artist pins a node of its own (`--rpc-url`) where the money matters.
"""

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from web3 import Web3

from tilefarm.adapters.chain.bindings import CONTRACT_NAME, JobMarketClient
from tilefarm.adapters.paths import BUILD_DIR
from tilefarm_cli.artist.errors import ArtistError, MarketRefused

PUSH1, PUSH32 = 0x60, 0x7F
WORD = 32
# The contracts whose code the market runs by delegate call, by the getter that names each.
DELEGATES = (("roundKeeper", "RoundKeeper"), ("panelCourt", "PanelCourt"))


class BuiltCode(BaseModel):
    """One contract's runtime code as this checkout built it, and its immutables' places."""

    name: str
    code: bytes
    immutables: list[tuple[int, int]]  # (start, length) in `code`


def built_code(name: str, build_dir: Path = BUILD_DIR) -> BuiltCode:
    """`name`'s runtime code from Brownie's build folder."""
    path = build_dir / "contracts" / f"{name}.json"
    try:
        artifact: dict[str, Any] = json.loads(path.read_text())
        code = bytes.fromhex(str(artifact["deployedBytecode"]).removeprefix("0x"))
    except (OSError, ValueError, KeyError):
        raise ArtistError(
            f"this checkout has no build of the contract {name} ({path}): run `make setup` "
            "(it compiles the contracts); without it the market's code cannot be checked, and "
            "nothing is signed for a market that is not checked"
        ) from None
    listed = artifact.get("immutableReferences")
    if isinstance(listed, dict):
        spans = [(int(r["start"]), int(r["length"])) for refs in listed.values() for r in refs]
    else:
        spans = immutable_placeholders(code)
    return BuiltCode(name=name, code=code, immutables=spans)


def immutable_placeholders(code: bytes) -> list[tuple[int, int]]:
    """Where a build leaves room for immutables: the 32 zero bytes each PUSH32 of one carries.
    The instructions are walked (a push's data is never read as an instruction), up to the
    metadata the compiler appends (its length is the code's last two bytes)."""
    end = len(code)
    if end >= 2 and int.from_bytes(code[-2:], "big") + 2 <= end:
        end -= int.from_bytes(code[-2:], "big") + 2
    spans, at = [], 0
    while at < end:
        op = code[at]
        if op == PUSH32 and code[at + 1 : at + 1 + WORD] == bytes(WORD):
            spans.append((at + 1, WORD))
        at += 1 + (op - PUSH1 + 1 if PUSH1 <= op <= PUSH32 else 0)
    return spans


def same_code(deployed: bytes, built: BuiltCode) -> bool:
    """Whether `deployed` is `built` but for the values of its immutables."""
    if len(deployed) != len(built.code):
        return False
    masked = bytearray(deployed)
    for start, length in built.immutables:
        masked[start : start + length] = built.code[start : start + length]
    return bytes(masked) == built.code


def check_market_code(market: JobMarketClient, where: str, build_dir: Path = BUILD_DIR) -> str:
    """Refuse (`MarketRefused`) a market whose code, or whose delegates' code, is not this
    checkout's build; `where` names the chain for messages. Says what was checked."""
    w3 = market.w3
    _check(w3, market.address, built_code(CONTRACT_NAME, build_dir), "market", where)
    checked = []
    for getter, name in DELEGATES:
        address = Web3.to_checksum_address(market.contract.get_function_by_name(getter)().call())
        _check(w3, address, built_code(name, build_dir), f"market's {name}", where)
        checked.append(f"{name} {address}")
    return f"its code and its {' and '.join(checked)} are this checkout's build"


def _check(w3: Web3, address: str, built: BuiltCode, role: str, where: str) -> None:
    deployed = bytes(w3.eth.get_code(Web3.to_checksum_address(address)))
    if same_code(deployed, built):
        return
    found = "no code at all (an account, not a contract)" if not deployed else (
        f"{len(deployed)} bytes of code that are not the {len(built.code)} of this checkout's "
        f"{built.name}"
    )  # fmt: skip
    raise MarketRefused(
        f"the {role} {address} on {where} is not this checkout's {built.name}: it has {found}. "
        "Nothing was signed. A server naming it could take the deposit for anything; post "
        "through a server that follows the protocol's market, or pin one you know with "
        "--market (and a node of your own with --rpc-url); if the protocol changed, update "
        "this checkout and run `make setup`"
    )

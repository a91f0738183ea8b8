"""The protocol's value types, used the same way by the chain models, the API and the checks.

- `Wei`: an amount in wei, a Python int. Amounts exceed what a browser's JSON numbers hold
  exactly, so in JSON it is a decimal string both ways (the OpenAPI schema says so), and a decimal
  string (as the server's database stores it) is read back as an int.
- `Hex32`: 32 bytes (a hash, a seed, a Merkle root, a commitment) as "0x" and 64 lowercase hex
  digits; bytes of length 32 are accepted and converted. `hex32_bytes` is the way back.
"""

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_DECIMAL = re.compile(r"^[0-9]+$")
_HEX32 = re.compile(r"^0x[0-9a-f]{64}$")


def _wei(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("an amount in wei is a whole number, not a boolean")
    if isinstance(value, str):
        text = value.strip()
        if not _DECIMAL.match(text):
            raise ValueError(f"an amount in wei is a decimal string of digits, got {value!r}")
        return int(text, 10)
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"an amount in wei cannot be negative, got {value}")
        return value
    raise ValueError(
        f"an amount in wei is an integer or a decimal string, got {type(value).__name__}"
    )


def _hex32(value: Any) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        if len(raw) != 32:
            raise ValueError(f"expected 32 bytes, got {len(raw)}")
        return "0x" + raw.hex()
    if isinstance(value, str):
        text = value.lower()
        if not text.startswith("0x"):
            text = "0x" + text
        if not _HEX32.match(text):
            raise ValueError(f"expected 0x and 64 hex digits (32 bytes), got {value!r}")
        return text
    raise ValueError(f"expected 32 bytes as hex, got {type(value).__name__}")


Wei = Annotated[
    int,
    BeforeValidator(_wei),
    PlainSerializer(str, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": "^[0-9]+$", "description": "wei, decimal"}),
]

Hex32 = Annotated[
    str,
    BeforeValidator(_hex32),
    WithJsonSchema(
        {"type": "string", "pattern": "^0x[0-9a-f]{64}$", "description": "32 bytes, hex"}
    ),
]


def hex32(value: bytes | str) -> str:
    """`value` (32 bytes, or hex with or without 0x) as a `Hex32` string; ValueError otherwise."""
    return _hex32(value)


def hex32_bytes(value: bytes | str) -> bytes:
    """`value` (32 bytes, or hex with or without 0x) as 32 bytes; ValueError otherwise."""
    return bytes.fromhex(_hex32(value)[2:])

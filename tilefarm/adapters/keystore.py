"""Unlocking an encrypted Ethereum keystore (the v3 JSON format every wallet reads): the one way
a tilefarm key (a worker's, the deployer's) is read. Keys are never read from plain text."""

import json
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from tilefarm.errors import TilefarmError


class KeystoreError(TilefarmError):
    """The keystore cannot be read or unlocked."""


def unlock_keystore(path: Path, password: str, *, missing_hint: str) -> LocalAccount:
    """The key in the keystore at `path`, decrypted with `password`. `missing_hint` says how to
    make one when there is none (it differs for a worker and a deployer)."""
    try:
        encrypted = json.loads(path.read_text())
    except FileNotFoundError:
        raise KeystoreError(f"no keystore at {path}; {missing_hint}") from None
    except (OSError, ValueError) as exc:
        raise KeystoreError(f"{path} is not a readable keystore: {exc}") from None
    if not isinstance(encrypted, dict) or "crypto" not in {k.lower() for k in encrypted}:
        raise KeystoreError(f"{path} is not an encrypted keystore (no 'crypto' section)")
    try:
        key = Account.decrypt(encrypted, password)
    except ValueError:
        raise KeystoreError(f"wrong password for the keystore {path}") from None
    account: LocalAccount = Account.from_key(key)
    return account

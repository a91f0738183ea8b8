"""The worker's key: an encrypted Ethereum keystore (the v3 JSON format every wallet reads).

The key never leaves this machine and is never written unencrypted; the password comes from the
operator (prompt, or RENDER_WORKER_PASSWORD through the worker's settings). Every failure is the
core's `tilefarm.adapters.keystore.KeystoreError`, whatever program reads the key.
"""

import json
import os
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from tilefarm.adapters.keystore import KeystoreError, unlock_keystore


def create_keystore(path: Path, password: str, private_key: str | None = None) -> str:
    """Write a new (or imported) key to `path`, readable by the owner only; returns the address."""
    if not password:
        raise KeystoreError("an empty password would leave the key unprotected; choose one")
    if path.exists():
        raise KeystoreError(f"{path} already exists; move it away or choose another path")
    try:
        account = Account.from_key(private_key) if private_key else Account.create()
    except (ValueError, TypeError) as exc:
        raise KeystoreError(f"the private key to import is not valid: {exc}") from None
    encrypted = Account.encrypt(account.key, password)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(encrypted, out)
    return str(account.address)


def load_keystore(path: Path, password: str) -> LocalAccount:
    """Unlock the worker's key in `path` (raises `KeystoreError` saying what to do)."""
    return unlock_keystore(path, password, missing_hint="create one with `render-worker init`")


def keystore_address(path: Path) -> str:
    """The address a keystore holds, without unlocking it."""
    try:
        return "0x" + str(json.loads(path.read_text())["address"]).removeprefix("0x")
    except (OSError, ValueError, KeyError) as exc:
        raise KeystoreError(f"{path} is not a readable keystore: {exc}") from None

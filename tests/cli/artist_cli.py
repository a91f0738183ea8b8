"""Running the artist's commands in this process, as a pipeline would: a keystore written
encrypted, the password from the environment, no server or password inherited."""

import json
from pathlib import Path

from eth_account import Account
from typer.testing import CliRunner, Result

from tilefarm_cli.main import app

PASSWORD = "artist password"


def write_keystore(path: Path, key: bytes) -> Path:
    # scrypt at 2**14 rather than 2**18: the same format and code path, unlocked 16x faster.
    path.write_text(json.dumps(Account.encrypt(key, PASSWORD, iterations=2**14)))
    return path


def cli(*argv: object) -> Result:
    """`tilefarm ...` with the keystore's password set and nothing else from the environment."""
    env: dict[str, str | None] = {
        "COLUMNS": "300", "TILEFARM_ARTIST_PASSWORD": PASSWORD, "TILEFARM_SERVER_URL": None,
    }  # fmt: skip
    return CliRunner().invoke(app, [str(a) for a in argv], env=env)


def flat(text: str) -> str:
    """Output with its line breaks and runs of spaces made single spaces."""
    return " ".join(text.split())

"""A throw-away PostgreSQL cluster for the tests: `initdb` into a temporary folder, `postgres` on a
free loopback port (its unix socket in that folder too), stopped and removed at the end. Each test
gets a database of its own (`CREATE DATABASE` is cheap), so tests stay independent.

initdb and postgres refuse to run as root: as root they run as `nobody`, in a folder it owns."""

import getpass
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from glob import glob
from pathlib import Path

import psycopg

from tilefarm_cli.devnet.ports import free_port

INSTALL = "sudo apt-get install -y --no-install-recommends postgresql"
UNPRIVILEGED = "nobody"


class PostgresMissing(RuntimeError):
    """No PostgreSQL server binaries on this machine."""


def server_binaries() -> Path:
    """The folder of `initdb` and `postgres`: `pg_config --bindir`, else Debian's own place."""
    found = []
    if shutil.which("pg_config"):
        bindir = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        found.append(Path(bindir))
    found += [Path(p) for p in sorted(glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for folder in found:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    raise PostgresMissing(
        "the PostgreSQL tests need the server's initdb and postgres (Debian's `postgresql` "
        f"package), found in neither `pg_config --bindir` nor /usr/lib/postgresql/*/bin: run "
        f"`make setup`, or `{INSTALL}`"
    )


def _as_user() -> list[str]:
    """The command prefix that runs a server binary as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", f"--reuid={UNPRIVILEGED}", "--regid=nogroup", "--clear-groups", "--"]


class Cluster:
    """One running PostgreSQL server of the tests, reached as its superuser over TCP."""

    def __init__(self, folder: Path, port: int, process: subprocess.Popen[bytes]) -> None:
        self.folder, self.port, self.process = folder, port, process
        self.user = UNPRIVILEGED if os.geteuid() == 0 else getpass.getuser()

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of `database` on this cluster."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def _admin(self) -> psycopg.Connection:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname="postgres", autocommit=True
        )

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop the database of `url`, ending whatever sessions still use it."""
        name = url.rsplit("/", 1)[1]
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        self.process.terminate()  # SIGTERM: "smart" shutdown, sessions end first
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
        shutil.rmtree(self.folder, ignore_errors=True)


def _wait_ready(port: int, process: subprocess.Popen[bytes], log: Path, user: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"postgres exited with {process.returncode}:\n{log.read_text()}")
        try:
            psycopg.connect(host="127.0.0.1", port=port, user=user, dbname="postgres").close()
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"postgres did not accept connections:\n{log.read_text()}"
                ) from exc
            time.sleep(0.05)


@contextmanager
def running_cluster() -> Iterator[Cluster]:
    """A fresh cluster on a free port, stopped and removed on exit."""
    bindir = server_binaries()
    # Not under pytest's own temporary folders: those are root's alone, and the server runs as
    # nobody.
    folder = Path(tempfile.mkdtemp(prefix="tilefarm-pg-"))
    data = folder / "data"
    prefix = _as_user()
    if prefix:
        shutil.chown(folder, UNPRIVILEGED, "nogroup")
    subprocess.run(
        [*prefix, str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-E", "UTF8",
         "--no-sync", "--locale=C.UTF-8"],
        check=True, capture_output=True, cwd=folder,
    )  # fmt: skip
    port = free_port()
    log = folder / "postgres.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*prefix, str(bindir / "postgres"), "-D", str(data), "-p", str(port),
             "-h", "127.0.0.1", "-k", str(folder),
             # A test cluster: nothing here must survive a power loss.
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=200"],
            stdout=out, stderr=subprocess.STDOUT, cwd=folder,
        )  # fmt: skip
    cluster = Cluster(folder, port, process)
    try:
        _wait_ready(port, process, log, cluster.user)
        yield cluster
    finally:
        cluster.stop()

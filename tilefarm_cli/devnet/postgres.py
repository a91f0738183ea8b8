"""A throw-away PostgreSQL cluster for the tests and the benches: `initdb` into a temporary
folder, `postgres` listening on a unix socket in that folder only (no TCP port: none to race for,
none another user of the machine could reach), stopped and removed at the end, and stopped by the
kernel when the process that started it dies (`setpriv --pdeathsig`, as the devnet's programs).
Each test gets a database of its own (`CREATE DATABASE` is cheap), so tests stay independent.
Nothing in it must survive a power loss: it runs without fsync.

initdb and postgres refuse to run as root: as root they run as `nobody`, in a folder it owns (mode
0700: only it, and root, reach the socket)."""

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
from sqlalchemy import make_url

from tilefarm_cli.devnet.process import leash

INSTALL = "sudo apt-get install -y --no-install-recommends postgresql"
UNPRIVILEGED = "nobody"
# The socket's name only (`.s.PGSQL.5432` in the cluster's folder): no TCP port is opened.
PORT = 5432


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
    installed = glob("/usr/lib/postgresql/*/bin")
    found += sorted((Path(p) for p in installed), key=_version, reverse=True)
    for folder in found:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    raise PostgresMissing(
        "the PostgreSQL tests need the server's initdb and postgres (Debian's `postgresql` "
        f"package), found in neither `pg_config --bindir` nor /usr/lib/postgresql/*/bin: run "
        f"`make setup`, or `{INSTALL}`"
    )


def _version(bindir: Path) -> tuple[int, ...]:
    """`/usr/lib/postgresql/15/bin` -> (15,): 9.6 is older than 10."""
    return tuple(int(n) for n in bindir.parent.name.split(".") if n.isdigit())


def _as_user() -> list[str]:
    """The command prefix that runs a server binary as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", f"--reuid={UNPRIVILEGED}", "--regid=nogroup", "--clear-groups", "--"]


def _leashed_as_user() -> list[str]:
    """`_as_user`, and SIGTERM when the starting thread ends: one `setpriv` for both, since a
    change of user clears a parent-death signal set before it."""
    leashed = leash()
    if not leashed:
        return _as_user()
    if os.geteuid() != 0:
        return leashed
    return [*leashed[:-1], *_as_user()[1:]]


class Cluster:
    """One running throw-away PostgreSQL server, reached as its superuser on its unix socket."""

    def __init__(self, folder: Path, process: subprocess.Popen[bytes]) -> None:
        self.folder, self.process = folder, process
        self.user = UNPRIVILEGED if os.geteuid() == 0 else getpass.getuser()

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of `database` on this cluster."""
        return f"postgresql+psycopg://{self.user}@/{database}?host={self.folder}&port={PORT}"

    def _admin(self) -> psycopg.Connection:
        return _connect(self.folder, self.user, autocommit=True)

    def create_database(self) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        with self._admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop the database of `url`, ending whatever sessions still use it."""
        name = make_url(url).database
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


def _connect(folder: Path, user: str, autocommit: bool = False) -> psycopg.Connection:
    return psycopg.connect(
        host=str(folder), port=PORT, user=user, dbname="postgres", autocommit=autocommit
    )


def _wait_ready(folder: Path, process: subprocess.Popen[bytes], log: Path, user: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"postgres exited with {process.returncode}:\n{log.read_text()}")
        try:
            _connect(folder, user).close()
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"postgres did not accept connections:\n{log.read_text()}"
                ) from exc
            time.sleep(0.05)


@contextmanager
def running_cluster() -> Iterator[Cluster]:
    """A fresh cluster, stopped and removed on exit (or when the calling thread ends)."""
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
    log = folder / "postgres.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*_leashed_as_user(), str(bindir / "postgres"), "-D", str(data), "-p", str(PORT),
             "-h", "", "-k", str(folder),
             # A test cluster: nothing here must survive a power loss.
             "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=200"],
            stdout=out, stderr=subprocess.STDOUT, cwd=folder,
        )  # fmt: skip
    cluster = Cluster(folder, process)
    try:
        _wait_ready(folder, process, log, cluster.user)
        yield cluster
    finally:
        cluster.stop()

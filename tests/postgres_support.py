"""A throwaway PostgreSQL server for the tests: Debian's ``postgresql`` binaries, ``initdb`` + ``pg_ctl``
in a temporary folder, listening on a free loopback port, stopped and deleted at the end.

Rules:
- No mock and no stand-in: when the binaries are missing, :class:`PostgresMissing` says how to get them
  (``make test`` installs Debian's ``postgresql`` package, as it does chromium); the fixture fails, it
  never skips.
- ``initdb`` refuses to run as root, so as root the server runs as the unprivileged system user
  ``retro-pg`` (created when missing) through ``runuser``; otherwise as the current user.
- Password authentication (scram-sha-256) over TCP on 127.0.0.1 only, the Unix socket in the temporary
  folder (never /var/run/postgresql): the tests prove that a URL's password works and is never printed.
- Durability is switched off (fsync, synchronous_commit): the data is thrown away anyway.

Usage (tests/conftest.py wraps it in the session fixture ``postgres_server``)::

    with PostgresServer() as server:
        url = server.create_database("t1")   # postgresql://retro:<password>@127.0.0.1:<port>/t1
"""

from __future__ import annotations

import atexit
import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

PG_USER = "retro-pg"  # the operating-system user the server runs as when the tests run as root
ROLE = "retro"  # the database superuser initdb creates
PG_VERSION = "15"
INSTALL_HINT = (
    "PostgreSQL's server binaries (initdb, pg_ctl) are missing: `make test` installs Debian's "
    "postgresql package (apt-get install postgresql), or set RETRO_PG_BIN to the folder holding them."
)


class PostgresMissing(RuntimeError):
    """Debian's PostgreSQL server binaries are not installed."""


def find_bin_dir() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``: ``RETRO_PG_BIN`` when set (and only it), else Debian's
    PostgreSQL 15, else the newest ``/usr/lib/postgresql/<version>/bin``."""
    env = os.environ.get("RETRO_PG_BIN")
    candidates = [Path(env)] if env else [Path(f"/usr/lib/postgresql/{PG_VERSION}/bin")]
    root = Path("/usr/lib/postgresql")
    if not env and root.is_dir():
        versions = sorted((p for p in root.iterdir() if p.name.isdigit()), key=lambda p: int(p.name), reverse=True)
        candidates += [v / "bin" for v in versions]
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    raise PostgresMissing(INSTALL_HINT)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ensure_user() -> None:
    """The unprivileged user the server runs as under root (initdb refuses root)."""
    if subprocess.run(["id", "-u", PG_USER], capture_output=True).returncode == 0:
        return
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin",
         PG_USER],
        check=True, capture_output=True,
    )


class PostgresServer:
    """One ``postgres`` process on 127.0.0.1 in a temporary folder; :meth:`stop` removes everything."""

    def __init__(self) -> None:
        self.bin = find_bin_dir()
        self.password = secrets.token_urlsafe(18)
        self.port = 0
        self.root: Path | None = None
        self._as_root = os.geteuid() == 0

    # -- commands ------------------------------------------------------------------------------

    def _cmd(self, *args: str) -> list[str]:
        if self._as_root:
            return ["runuser", "-u", PG_USER, "--", *args]
        return list(args)

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        done = subprocess.run(self._cmd(*args), capture_output=True, text=True, timeout=timeout,
                              cwd=str(self.root))
        if done.returncode != 0:
            raise RuntimeError(f"{Path(args[0]).name} failed ({done.returncode}): {done.stdout}{done.stderr}"[-3000:])
        return done

    @property
    def data_dir(self) -> Path:
        assert self.root is not None
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        assert self.root is not None
        return self.root / "server.log"

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> PostgresServer:
        if self._as_root:
            _ensure_user()
        self.root = Path(tempfile.mkdtemp(prefix="retro-pg-"))
        (self.root / "socket").mkdir()
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        if self._as_root:
            shutil.chown(self.root, PG_USER, PG_USER)
            shutil.chown(self.root / "socket", PG_USER, PG_USER)
            shutil.chown(pwfile, PG_USER, PG_USER)
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data_dir), "-U", ROLE, f"--pwfile={pwfile}",
            "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
            timeout=120,
        )
        pwfile.unlink()
        last_error: Exception | None = None
        for _attempt in range(5):  # the port is free when picked; another process may take it meanwhile
            self.port = free_port()
            options = " ".join((
                "-c listen_addresses=127.0.0.1", f"-p {self.port}", f"-k {self.root / 'socket'}",
                "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
                "-c max_connections=100", "-c log_min_messages=warning",
            ))
            try:
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.log_file),
                          "-o", options, "-w", "-t", "60", "start", timeout=90)
                atexit.register(self.stop)  # an interrupted run (Ctrl+C) stops it too
                return self
            except RuntimeError as exc:
                last_error = exc
                with contextlib.suppress(OSError):
                    last_error = RuntimeError(f"{exc}\n{self.log_file.read_text()[-2000:]}")
        self.stop()
        raise RuntimeError(f"PostgreSQL did not start: {last_error}")

    def stop(self) -> None:
        if self.root is None:
            return
        atexit.unregister(self.stop)
        if (self.data_dir / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop", timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases -----------------------------------------------------------------------------

    def url(self, database: str = "postgres", *, password: str | None = None) -> str:
        secret = self.password if password is None else password
        return f"postgresql://{ROLE}:{quote(secret, safe='')}@127.0.0.1:{self.port}/{quote(database, safe='')}"

    def create_database(self, name: str | None = None, *, template: str = "template0") -> str:
        """A new database, empty or a copy of ``template`` (which nobody may be connected to); its URL
        (with the password)."""
        import psycopg
        from psycopg import sql

        name = name or f"t_{secrets.token_hex(6)}"
        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {} ENCODING 'UTF8'").format(
                sql.Identifier(name), sql.Identifier(template)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


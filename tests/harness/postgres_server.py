"""A throwaway PostgreSQL server for tests: initdb + pg_ctl, unix socket only, trust auth.

The server binaries come from Debian's ``postgresql`` package (``/usr/lib/postgresql/<v>/bin``,
or on the PATH). PostgreSQL refuses to run as root, so as root (CI) the server runs as the
package's ``postgres`` user (else ``nobody``) through ``runuser``, in a fresh folder under
the system temp dir that user owns (pytest's ``tmp_path`` is private to root). The folder
path stays short: a unix socket path is limited to about 100 bytes.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.ascend.errors import ToolError
from harness.ascend.proc import run_tool

PORT = 5432  # only names the socket file: the server listens on no TCP address
INSTALL = ("install Debian's postgresql package (apt-get install -y postgresql; .ci/run does this "
           "when it runs as root)")


def server_binaries() -> tuple[str, str]:
    """(initdb, pg_ctl) of one installation; skips naming the package when there is none."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True):
        if all(os.access(Path(folder) / b, os.X_OK) for b in ("initdb", "pg_ctl", "postgres")):
            return str(Path(folder) / "initdb"), str(Path(folder) / "pg_ctl")
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl:
        return initdb, pg_ctl
    pytest.skip(f"no PostgreSQL server binaries (initdb, pg_ctl): {INSTALL}")


def _version(folder: str) -> float:
    try:
        return float(Path(folder).parent.name)
    except ValueError:
        return 0.0


def _server_user() -> str | None:
    """The unprivileged user to run the server as when we are root, else None."""
    if os.geteuid() != 0:
        return None
    if not shutil.which("runuser"):
        pytest.skip("PostgreSQL refuses to run as root and runuser (util-linux) is missing to run it "
                    "as another user")
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    pytest.skip("PostgreSQL refuses to run as root and there is no 'postgres' or 'nobody' user to "
                f"run it as: {INSTALL}")


def _run(cmd: list[str], user: str | None, timeout: float = 120.0, log: Path | None = None) -> None:
    """Run a server command (as ``user`` when given); fail naming it, its status and its errors."""
    full = (["runuser", "-u", user, "--"] if user else []) + cmd
    try:  # the suite's own runner: its own process group, killed whole on a timeout
        result = run_tool(full, timeout_s=timeout, cwd=Path("/"), check=False)
    except ToolError as exc:
        pytest.fail(str(exc))
    if result.returncode != 0:
        errors = [l for l in result.output.splitlines() if l.strip()][-10:]
        if log is not None and log.exists():  # the server's own reason
            errors += log.read_text(errors="replace").splitlines()[-10:]
        pytest.fail(f"{' '.join(full)} exited {result.returncode}: {errors}")


@dataclass
class Server:
    folder: Path  # data/ and the socket live here

    def url(self, database: str) -> str:
        """A libpq URL for ``database`` over the server's socket (no password: trust auth)."""
        return f"postgresql:///{database}?host={self.folder}&port={PORT}&user=suite"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def start_server():
    """Yield a started ``Server``; stop it and remove its folder afterwards (a generator for
    a fixture)."""
    pytest.importorskip("psycopg", reason="the PostgreSQL history needs psycopg: pip install 'psycopg[binary]' "
                                          "(in requirements.txt)")
    initdb, pg_ctl = server_binaries()
    user = _server_user()
    # As root: under /tmp, which the server's user can traverse (TMPDIR may be private).
    folder = Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp" if user else None))
    try:
        if user:
            entry = pwd.getpwnam(user)
            os.chown(folder, entry.pw_uid, entry.pw_gid)
        data = folder / "data"
        _run([initdb, "-D", str(data), "-U", "suite", "--auth=trust", "--no-sync", "-E", "UTF8",
              "--locale=C"], user)
        # pg_ctl hands -o to the server's command line: socket in the folder, no TCP, no fsync.
        options = f"-k {folder} -p {PORT} -c listen_addresses='' -c fsync=off"
        _run([pg_ctl, "-D", str(data), "-l", str(folder / "server.log"), "-o", options, "-w", "-t", "60",
              "start"], user, log=folder / "server.log")
        try:
            yield Server(folder)
        finally:
            _run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], user)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

"""A real PostgreSQL server for the tests, started once per session (Debian's ``postgresql``:
``initdb`` + ``pg_ctl`` into a temporary folder, on a free port of 127.0.0.1, trust auth).

PostgreSQL refuses to run as root: as root the server runs as the ``postgres`` user
(``runuser``), in a folder it owns. Without the binaries the tests skip with the reason;
with ``CI=true`` they fail (``.ci/run`` installs the package).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["postgres_url"]


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


def _unavailable(why: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {why}: .ci/run installs Debian's postgresql with apt-get")
    pytest.skip(f"{why} (apt-get install postgresql)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """``postgresql://postgres@127.0.0.1:PORT/postgres`` of a server that lives for the session."""
    bin_dir = _binaries()
    if bin_dir is None:
        _unavailable("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install '.[postgres]')")
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    if as_root:
        runuser = shutil.which("runuser")
        if runuser is None:
            _unavailable("running as root and runuser is missing (PostgreSQL refuses root)")
        prefix = [str(runuser), "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="modelgate-pg-"))
    data = folder / "data"
    if as_root:
        shutil.chown(folder, "postgres", "postgres")
    port = _free_port()

    def run(*args: str) -> None:
        done = subprocess.run(
            [*prefix, *args], capture_output=True, text=True, timeout=60, cwd=folder
        )
        if done.returncode != 0:
            pytest.fail(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")

    run(
        str(bin_dir / "initdb"),
        "-D",
        str(data),
        "-U",
        "postgres",
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-sync",
    )
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {folder} -c fsync=off"
    run(
        str(bin_dir / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(folder / "log"),
        "-w",
        "-t",
        "30",
        "start",
    )
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        with contextlib.suppress(Exception):
            subprocess.run(
                [*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                capture_output=True,
                timeout=30,
                cwd=folder,
            )
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def fresh_postgres(postgres_url: str) -> Iterator[str]:
    """The session's server with the history tables dropped before the test."""
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute(
            "DROP TABLE IF EXISTS modelgate_predictions, modelgate_runs, modelgate_meta CASCADE"
        )
    yield postgres_url

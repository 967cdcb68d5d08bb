"""Benchmarks: `make bench` runs bench.pages and bench.mail."""

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

KEPT = Path(__file__).resolve().parent.parent / "bench-results" / "db"


@contextmanager
def kept_database(backend: str, server: str | None, name: str) -> Iterator[str]:
    """A database kept between runs (BENCH_KEEP=1): bench-results/db/<name>.db, or <name> on the server."""
    if backend == "sqlite":
        KEPT.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{KEPT / name}.db"
        return
    import psycopg

    plain = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{plain.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+psycopg://')}/{name}"


@contextmanager
def temporary_database(backend: str, server: str | None, prefix: str) -> Iterator[str]:
    """A fresh SQLite file, or a PostgreSQL database created on `server` for the run and dropped afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"{prefix}-") as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    import psycopg

    name = f"procheck_bench_{uuid.uuid4().hex[:10]}"
    plain = server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{plain.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

"""Benchmarks: `make bench` runs bench.pages and bench.mail."""

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager


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

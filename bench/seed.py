"""Time the benchmark seed alone: `python -m bench.seed 100000 [--database postgresql://…]`.

Seeds a fresh SQLite file, or a database created on the given PostgreSQL server and dropped afterwards,
and prints the seed time and how many rows each table got.
"""

import argparse
import logging
import os
import resource
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import text

from app import create_app
from app.cli import seed_reference_data
from app.demo_bulk import COLUMNS, seed_bulk
from app.extensions import db
from app.transactions import unit_of_work
from bench import temporary_database


def _server_cpu() -> float | None:
    """CPU seconds of this session's PostgreSQL backend, when it runs on this machine (a loaded machine makes
    wall time say little)."""
    pid = db.session.scalar(text("SELECT pg_backend_pid()"))
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("cases", type=int)
    parser.add_argument("--database", help="a PostgreSQL server URL; SQLite when not given")
    args = parser.parse_args()
    logging.disable(logging.INFO)
    backend = "postgresql" if args.database else "sqlite"
    with temporary_database(backend, args.database, "procheck-seed") as url:
        app = create_app("development", SQLALCHEMY_DATABASE_URI=url, SCHEDULER_IN_PROCESS=False)
        with app.app_context():
            upgrade()
            with unit_of_work():
                seed_reference_data()
            server = _server_cpu() if backend == "postgresql" else None
            start, cpu = time.perf_counter(), time.process_time()
            with unit_of_work():
                seed_bulk(args.cases)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            if server is not None and (after := _server_cpu()) is not None:
                print(f"  the PostgreSQL backend used {after - server:.1f} s CPU")
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{backend}, {args.cases:,} cases: seeded in {seconds:.1f} s ({cpu:.1f} s CPU in this process, "
                  f"peak RSS {rss:.0f} MB)")
            for table in COLUMNS:
                print(f"  {table}: {db.session.scalar(text(f'SELECT count(*) FROM {table}')):,}")
            db.engine.dispose()


if __name__ == "__main__":
    main()

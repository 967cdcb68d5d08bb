"""The funnel page at scale: seed (or reuse) a bulk database, then time the rebuild, the page's queries (bare) and
the page, and print the query plans. Wall and CPU time are both given: the bench machine may be shared.

    BENCH_FUNNEL_CASES=100000 python -m bench.funnel                                 # SQLite, bench-results/db/
    BENCH_FUNNEL_CASES=1000000 BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python -m bench.funnel

The seeded database is kept (funnel_<n>) for the next run.
"""

import os
import statistics
import time

from flask_migrate import upgrade
from sqlalchemy import func, select, text

from app import create_app
from app.auth import sessions
from app.auth.models import User
from app.cases.models import Case
from app.cli import seed_reference_data
from app.demo_bulk import seed_bulk
from app.extensions import db
from app.reports import funnel, milestones
from app.reports.models import BUCKET_COLUMNS, FunnelCell
from app.transactions import unit_of_work
from bench import kept_database

N = int(os.environ.get("BENCH_FUNNEL_CASES", "100000"))
SERVER = os.environ.get("BENCH_DATABASE_URL")
RUNS = 20
PERIODS = {"year": "/funnel", "quarter": "/funnel?period=quarter&year=2026&quarter=3",
           "3 years by town": "/funnel?period=range&from=2024-01&to=2026-12&by=town"}


def _timed(run) -> tuple[float, float]:
    run()
    walls, cpus = [], []
    for _ in range(RUNS):
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def _plans(backend: str) -> None:
    table = FunnelCell.__table__
    query = (select(table.c.dim, table.c.key, table.c.metric, func.sum(table.c.n),
                    *(func.sum(table.c[name]) for name in BUCKET_COLUMNS[:2]))
             .where(table.c.month.between(202601, 202612), table.c.dim.in_(("all", "reason", "owner")))
             .group_by(table.c.dim, table.c.key, table.c.metric))
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    explain = "EXPLAIN QUERY PLAN " if backend == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    print("plan of the totals/breakdown query (first two bucket sums shown):")
    for row in db.session.execute(text(explain + sql)):
        print("   ", row[-1])
    cells = db.session.scalar(select(func.count()).select_from(table))
    print(f"funnel_cells rows: {cells:,}")


def main() -> None:
    backend = "postgresql" if SERVER else "sqlite"
    with kept_database(backend, SERVER, f"funnel_{N}") as url:
        app = create_app("development", SQLALCHEMY_DATABASE_URI=url, SCHEDULER_IN_PROCESS=False)
        with app.app_context():
            upgrade()
            if db.session.scalar(select(func.count()).select_from(Case)) < N:
                with unit_of_work():
                    seed_reference_data()
                start = time.perf_counter()
                with unit_of_work():
                    seed_bulk(N)
                print(f"{backend} {N:,}: seeded (with all rebuilds) in {time.perf_counter() - start:.0f} s")
            if backend == "postgresql":
                with unit_of_work():
                    db.session.execute(text("ANALYZE"))
            wall, cpu = time.perf_counter(), time.process_time()
            with unit_of_work():
                cases = milestones.rebuild()
            print(f"rebuild-funnel: {cases:,} cases in {time.perf_counter() - wall:.1f} s wall, "
                  f"{time.process_time() - cpu:.1f} s CPU (this process)")
            if backend == "postgresql":
                with unit_of_work():
                    db.session.execute(text("ANALYZE funnel_cells"))
            _plans(backend)
            for label, url_ in PERIODS.items():
                args = dict(pair.split("=") for pair in url_.partition("?")[2].split("&") if pair)
                period = funnel.parse_period(args)
                by = args.get("by", "owner")
                wall_ms, cpu_ms = _timed(lambda period=period, by=by: funnel.report(period, by))
                print(f"bare report(), {label}: median {wall_ms:.1f} ms wall, {cpu_ms:.1f} ms CPU")
            lead = db.session.scalar(select(User).where(User.email == "leitung@example.org"))
            token = sessions.open_now(lead)
            db.session.commit()
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = token
            session["_fresh"] = True
        for label, url_ in PERIODS.items():
            assert client.get(url_).status_code == 200
            wall_ms, cpu_ms = _timed(lambda url_=url_: client.get(url_))
            print(f"page {url_} ({label}): median {wall_ms:.1f} ms wall, {cpu_ms:.1f} ms CPU")
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()

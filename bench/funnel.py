"""The funnel page at scale: seed (or reuse) a bulk database, then time the rebuild, the page's queries (bare) and
the page, and print the query plans. Wall and CPU time are both given: the bench machine may be shared.

    BENCH_FUNNEL_CASES=100000 python -m bench.funnel                                 # SQLite, bench-results/db/
    BENCH_FUNNEL_CASES=1000000 BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test python -m bench.funnel

The seeded database is kept (funnel_<n>) for the next run. BENCH_FUNNEL_SYNTHETIC=1 skips the bulk seed (hours at
1M on a loaded machine) and writes N synthetic milestone rows (opened over three years, milestones with the bulk
seed's shares) straight into case_milestones of a scratch database (its foreign key to cases dropped), then times
the cells' rebuild from them and the page: what the page reads depends on months x keys, not on the cases.
"""

import os
import random
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
from app.reports.funnel_models import BUCKET_COLUMNS, FunnelCell
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


def _synthetic_rows(n: int) -> None:
    """n milestone rows without cases (a scratch database): three years of openings, the bulk seed's shares."""
    from datetime import UTC, datetime, timedelta

    from app.auth.models import User as Account
    from app.reference.models import Municipality, Trade

    rng = random.Random(7)
    owners = list(db.session.scalars(select(Account.id).where(Account.role == "scout"))) or [1]
    towns = list(db.session.scalars(select(Municipality.id)))
    groups = sorted(set(db.session.scalars(select(Trade.group))))
    start = datetime(2024, 1, 1, tzinfo=UTC)
    table = milestones.CaseMilestone.__table__
    sqlite = db.engine.dialect.name == "sqlite"
    if sqlite:  # the app's connections enforce foreign keys; a plain sqlite3 connection does not
        import sqlite3

        raw = sqlite3.connect(db.engine.url.database)
        columns = list(milestones.MILESTONE_COLUMNS)
        statement = f"INSERT INTO case_milestones ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"

        def write(rows):
            raw.executemany(statement, [[v.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
                                         if isinstance(v, datetime) else v for v in (r[c] for c in columns)]
                                        for r in rows])
            raw.commit()
    else:
        db.session.execute(text("ALTER TABLE case_milestones DROP CONSTRAINT IF EXISTS "
                                "fk_case_milestones_case_id_cases"))

        def write(rows):
            db.session.execute(table.insert(), rows)
    batch = []
    for case_id in range(1, n + 1):
        opened = start + timedelta(days=1095 * case_id / n, hours=rng.random() * 24)
        row = {"case_id": case_id, "opened_at": opened, "owner_id": rng.choice(owners),
               "municipality_id": rng.choice(towns), "trade_group": rng.choice(groups),
               "size_class": rng.choice(milestones.SIZE_CLASSES), "reopened": int(rng.random() < 0.02)}
        when = opened
        for state, share in (("check_done", 0.65), ("workshop_attended", 0.3), ("referred", 0.45),
                             ("implemented", 0.4)):
            hit = rng.random() < share
            when = when + timedelta(days=rng.expovariate(1 / 20)) if hit else when
            row[f"{state}_at"] = when if hit else None
            if state == "check_done" and not hit:
                break
        withdrawn = rng.random() < 0.1
        row.update(withdrawn_at=when + timedelta(days=3) if withdrawn else None,
                   withdrawn_from="contacted" if withdrawn else None,
                   withdrawn_reason=rng.choice(("Keine Zeit", "Ruhestand", "Kein Interesse")) if withdrawn else None)
        for key in milestones.MILESTONE_COLUMNS:
            row.setdefault(key, None)
        batch.append(row)
        if len(batch) == 10_000:
            write(batch)
            batch = []
    if batch:
        write(batch)


def main() -> None:
    backend = "postgresql" if SERVER else "sqlite"
    synthetic = os.environ.get("BENCH_FUNNEL_SYNTHETIC") == "1"
    with kept_database(backend, SERVER, f"funnel_{'synth_' if synthetic else ''}{N}") as url:
        app = create_app("development", SQLALCHEMY_DATABASE_URI=url, SCHEDULER_IN_PROCESS=False)
        with app.app_context():
            upgrade()
            rows = db.session.scalar(select(func.count()).select_from(milestones.CaseMilestone))
            if synthetic and rows < N:
                from app.demo import ensure_accounts

                with unit_of_work():
                    seed_reference_data()
                    ensure_accounts()
                start = time.perf_counter()
                with unit_of_work():
                    _synthetic_rows(N)
                print(f"{backend} {N:,}: synthetic milestone rows written in {time.perf_counter() - start:.0f} s")
            if not synthetic and db.session.scalar(select(func.count()).select_from(Case)) < N:
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
                cases = milestones.rebuild_cells(db.session.connection()) if synthetic else milestones.rebuild()
            what = "rebuild-funnel (cells only)" if synthetic else "rebuild-funnel"
            print(f"{what}: {cases:,} cases in {time.perf_counter() - wall:.1f} s wall, "
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

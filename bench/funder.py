"""Time the funder's report on a seeded database: `python -m bench.funder postgresql+psycopg://…/db [--year 2026]`.

Prints the median and p95 of computing the report (every query, no HTTP; for the year, and for a from-to period that
is counted live), of the page (HTTP, rendering), the time and peak memory (tracemalloc, Python allocations) of
writing the year's XLSX, the targets page, and the time of the case-level CSV export. The database must be migrated
to the head (`flask db upgrade`) and seeded (`flask procheck seed-demo --cases 1000000`).
"""

import argparse
import io
import statistics
import time
import tracemalloc
from datetime import timedelta

from sqlalchemy import select

from app import create_app
from app.auth import sessions
from app.auth.models import User
from app.extensions import db
from app.reports import case_export, export
from app.reports.funder import funder_report
from app.reports.period import Period, year


def _timed(function, runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, int(len(samples) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database")
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--case-rows", type=int, default=200_000, help="rows of the case export to time")
    args = parser.parse_args()
    app = create_app("development", SQLALCHEMY_DATABASE_URI=args.database, SCHEDULER_IN_PROCESS=False)
    period = year(args.year)
    with app.app_context():
        report = funder_report(period)
        print(f"supported businesses {report.supported}, first checks {report.first_checks}, "
              f"re-checks {report.rechecks}, participations {report.participations}, "
              f"referrals {report.referral_count}, measures {report.measure_count}")
        median, p95 = _timed(lambda: funder_report(period), args.runs)
        print(f"report figures      median {median:7.1f} ms   p95 {p95:7.1f} ms")
        # A from-to period that is no month, quarter or year: its supported businesses are counted live.
        odd = Period(period.start + timedelta(days=1), period.end)
        median, p95 = _timed(lambda: funder_report(odd), max(3, args.runs // 5))
        print(f"report, from-to     median {median:7.1f} ms   p95 {p95:7.1f} ms   ({odd.start} to {odd.end})")
        tracemalloc.start()
        start = time.perf_counter()
        buffer = io.BytesIO()
        export.write_xlsx(funder_report(period), buffer)
        took = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        size = len(buffer.getvalue())
        print(f"year XLSX           {took * 1000:7.1f} ms   peak {peak / 2**20:.1f} MiB   {size} bytes")
        tracemalloc.start()
        start, rows = time.perf_counter(), 0
        for _row in case_export.rows():
            rows += 1
            if rows >= args.case_rows:
                break
        took = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"case export         {rows} rows in {took:.1f} s ({rows / took:,.0f} rows/s)   peak "
              f"{peak / 2**20:.1f} MiB")
    client = app.test_client()
    with app.app_context():
        lead = db.session.scalar(select(User).where(User.role == "lead"))
        token = sessions.open_now(lead)
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = token, True
    for name, url in (("report page", f"/report?from={period.start}&to={period.end}"), ("targets page", "/targets"),
                      ("report XLSX (HTTP)", f"/report.xlsx?from={period.start}&to={period.end}")):
        status = client.get(url).status_code
        median, p95 = _timed(lambda url=url: client.get(url), args.runs)
        print(f"{name:19s} median {median:7.1f} ms   p95 {p95:7.1f} ms   (HTTP {status})")


if __name__ == "__main__":
    main()

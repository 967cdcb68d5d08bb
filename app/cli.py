"""`flask procheck …` commands: accounts, reference and demo data, the scheduler worker."""

import getpass
import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from app.auth import services as auth_services
from app.imports.cli import imports_cleanup
from app.intake.cli import intake_assign
from app.partners.services import seed_partners
from app.reference.loader import load_reference
from app.scheduling.rules import seed_default_rules
from app.transactions import unit_of_work

procheck_cli = AppGroup("procheck", help="ProCheck administration.")
procheck_cli.add_command(intake_assign)
procheck_cli.add_command(imports_cleanup)

SHOWN_SKIPS = 50  # skipped rows the import command lists


def seed_reference_data() -> None:
    """Region, trades, topics, partners and the default follow-up rules (idempotent)."""
    load_reference()
    seed_partners()
    seed_default_rules()


@procheck_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice(["scout", "lead", "admin"]))
@click.option("--password", help="Asked for when not given.")
def create_user(email: str, name: str, role: str, password: str | None) -> None:
    """Create a staff account."""
    if password is None:
        password = getpass.getpass("Passwort: ")
        if password != getpass.getpass("Passwort wiederholen: "):
            raise click.ClickException("Die Passwörter stimmen nicht überein.")
    try:
        with unit_of_work():
            user = auth_services.create_user(email, name, role, password)
    except auth_services.AuthError as error:
        raise click.ClickException(error.message) from error
    click.echo(f"Konto {user.email} ({user.role}) angelegt.")


@procheck_cli.command("seed-reference")
def seed_reference() -> None:
    """Load region, trades, topics and partners (idempotent)."""
    with unit_of_work():
        seed_reference_data()
    click.echo("Referenzdaten geladen.")


@procheck_cli.command("seed-demo")
@click.option("--cases", type=int, default=None, help="Generate this many cases in bulk (benchmarks).")
def seed_demo(cases: int | None) -> None:
    """Create the demo region, accounts and cases (idempotent)."""
    from app.demo import seed_demo_data
    from app.demo_bulk import seed_bulk

    with unit_of_work():
        seed_reference_data()
    with unit_of_work():
        if cases:
            click.echo(f"{seed_bulk(cases)} Fälle erzeugt.")
        else:
            click.echo("Demodaten angelegt." if seed_demo_data() else "Demodaten sind schon vorhanden.")


@procheck_cli.command("rebuild-read-model")
def rebuild_read_model() -> None:
    """Recompute the pipeline's case counts from the cases and businesses (in one transaction)."""
    from app.cases import readmodel

    with unit_of_work():
        cells = readmodel.rebuild()
    click.echo(f"Lesemodell neu aufgebaut: {cells} Zellen.")


@procheck_cli.command("dispatch")
@click.option("--once", is_flag=True, required=True, help="Run one dispatcher pass and exit.")
def dispatch(once: bool) -> None:
    """Send the due emails once and print how many were sent, failed and retried."""
    from app.scheduling.dispatch import dispatch_once

    click.echo(f"Outbox: {dispatch_once()}")


@procheck_cli.command("worker")
def worker() -> None:
    """Run the scheduler alone (production: one or more worker processes beside the web servers)."""
    from app.scheduling.runner import run_worker

    run_worker()


@procheck_cli.command("rebuild-check-figures")
def rebuild_check_figures() -> None:
    """Refill the check scores as rows, the per-case T0/T1 summary, the programme's sums and the funder report's
    changes T0→T1 from the checks."""
    from app.checks import change_days, figures, gaps, summary
    from app.extensions import db

    with unit_of_work():
        cases = summary.rebuild(db.session.connection())
        figures.rebuild(db.session.connection())
        change_days.rebuild(db.session.connection())
        gaps.rebuild(db.session.connection())
    click.echo(f"Check-Kennzahlen für {cases} Fälle neu aufgebaut.")


@procheck_cli.command("rebuild-funder-figures")
def rebuild_funder_figures() -> None:
    """Recount the funder report's businesses per month, quarter and year and its counts per day (after a change
    of PROGRAMME_START, of a partner's kind, or of a trade's annex or group)."""
    from app.reports import support

    with unit_of_work():
        businesses = support.rebuild()
    click.echo(f"Kennzahlen des Förderberichts für {businesses} Betriebe neu gezählt.")


@procheck_cli.command("rebuild-funnel")
def rebuild_funnel() -> None:
    """Recompute the funnel's milestones per case and its monthly cells from the cases and the timeline."""
    from app.reports import milestones

    with unit_of_work():
        cases = milestones.rebuild()
    click.echo(f"Trichter für {cases} Fälle neu aufgebaut.")


@procheck_cli.command("import-businesses")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Only show what the import would do.")
@click.option("--update", is_flag=True, help="Update existing businesses whose data differ.")
def import_businesses(file: Path, dry_run: bool, update: bool) -> None:
    """Import businesses from the register's extract (CSV or XLSX), with the columns remembered or guessed."""
    from app.errors import DomainError
    from app.imports import importer, reading, runs
    from app.imports.rows import FIELDS, REASONS, REQUIRED

    try:
        headers = reading.headers(file)
    except DomainError as error:
        raise click.ClickException(error.message) from error
    mapping = runs.remembered(headers)
    if missing := [str(FIELDS[name]) for name in REQUIRED if name not in mapping]:
        raise click.ClickException(f"Keine Spalte für: {', '.join(missing)}. Spalten der Datei: {', '.join(headers)}. "
                                   "Ordnen Sie die Spalten einmal im Import der Weboberfläche zu.")
    click.echo("Spalten: " + ", ".join(f"{FIELDS[name]} = {headers[index]}" for name, index in mapping.items()))
    batches = importer.run(file, mapping, update_existing=update, apply=not dry_run)
    totals, skipped = importer.Totals(), []
    with click.progressbar(length=importer.count_rows(file), label="Import", file=sys.stderr) as bar:
        while True:
            with unit_of_work():
                batch = next(batches, None)
            if batch is None:
                break
            totals = batch.totals
            skipped += [o for o in batch.outcomes if o.action == "skip"][:SHOWN_SKIPS - len(skipped)]
            bar.update(len(batch.outcomes))
    for outcome in skipped:
        click.echo(f"Zeile {outcome.line}: übersprungen – {REASONS[outcome.problem]}")
    verb = "würden" if dry_run else "wurden"
    click.echo(f"{totals.processed} Zeilen: {totals.created} {verb} neu angelegt, {totals.updated} aktualisiert, "
               f"{totals.unchanged} unverändert, {totals.skipped} übersprungen.")


report_cli = AppGroup("report", help="Reports as files.")
procheck_cli.add_command(report_cli)


def _day(value: str | None, name: str):
    from app.reports.period import parse_date

    day = parse_date(value)
    if day is None:
        raise click.BadParameter("ein Datum JJJJ-MM-TT zwischen 2000 und 2100 angeben", param_hint=name)
    return day


@report_cli.command("funder")
@click.option("--from", "start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last day (inclusive), YYYY-MM-DD.")
@click.option("--format", "kind", type=click.Choice(["xlsx", "csv"]), required=True)
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True))
def report_funder(start: str, end: str, kind: str, output: str) -> None:
    """Write the funder's report for a period (the same figures as the page /report)."""
    from app.reports import export
    from app.reports.funder import funder_report
    from app.reports.period import Period

    period = Period(_day(start, "--from"), _day(end, "--to"))
    if period.end < period.start:
        raise click.BadParameter("das Ende liegt vor dem Anfang", param_hint="--to")
    with unit_of_work():
        report = funder_report(period)
        if kind == "xlsx":
            export.write_xlsx(report, output)
        else:
            with open(output, "w", encoding="utf-8", newline="") as target:
                target.write(export.csv_text(report))
    click.echo(f"Förderbericht {period.start:%d.%m.%Y}–{period.end:%d.%m.%Y} geschrieben: {output}")


@report_cli.command("cases")
@click.option("--format", "kind", type=click.Choice(["xlsx", "csv"]), required=True)
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True))
@click.option("--emails", is_flag=True, help="Include the businesses' email addresses.")
def report_cases(kind: str, output: str, emails: bool) -> None:
    """Write one row per case (for pivot tables), in batches."""
    from app.reports import case_export

    with unit_of_work():
        if kind == "xlsx":
            case_export.write_xlsx(output, emails)
        else:
            with open(output, "w", encoding="utf-8", newline="") as target:
                for chunk in case_export.csv_chunks(emails):
                    target.write(chunk)
    click.echo(f"Fallliste geschrieben: {output}")


@procheck_cli.command("retention")
@click.option("--dry-run", is_flag=True, help="Only list the businesses that would be anonymised.")
def retention(dry_run: bool) -> None:
    """Anonymise the businesses the retention rule has made due (closed or withdrawn cases, or no case), in
    batches. The dry run lists the ones without a case after the others, marked "ohne Fall"."""
    from app.privacy import retention as rule

    with unit_of_work():
        preview = rule.preview(listed=0, cap=0)
        closed = caseless = 0
        for business_id, name in rule.walk(rule.due) if dry_run else ():
            click.echo(f"{business_id}\t{name}")
            closed += 1
        for business_id, name in rule.walk(rule.caseless) if dry_run else ():
            click.echo(f"{business_id}\t{name}\tohne Fall")
            caseless += 1
    if not preview.active:
        click.echo(f"Die Aufbewahrungsregel greift erst ab {preview.starts_on:%d.%m.%Y}; nichts anonymisiert.")
    elif dry_run:
        click.echo(f"Fällig: {closed} Betriebe mit abgeschlossenen Fällen, {caseless} Betriebe ohne Fall "
                   "(Probelauf, nichts geändert).")
    else:
        click.echo(f"{rule.run()} Betriebe anonymisiert.")

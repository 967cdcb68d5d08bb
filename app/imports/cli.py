"""`flask procheck imports-cleanup`: the hourly job's deletion of import files and previews, run by hand."""

import click

from app.imports import cleanup


@click.command("imports-cleanup")
def imports_cleanup() -> None:
    """Delete import runs not started in time, their previews and the files no waiting run needs."""
    cleared = cleanup.cleanup()
    click.echo(f"Import: {cleared.runs} nicht gestartete Läufe gelöscht, {cleared.files} Dateien entfernt.")

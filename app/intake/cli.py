"""`flask procheck intake-assign`: which scout takes the public requests from a municipality."""

import click
from sqlalchemy import select

from app.auth.models import Role, User
from app.extensions import db
from app.intake import assignment
from app.reference.models import Municipality
from app.transactions import unit_of_work


@click.command("intake-assign")
@click.argument("municipality")
@click.argument("scout_email", required=False)
def intake_assign(municipality: str, scout_email: str | None) -> None:
    """Requests from MUNICIPALITY go to the scout SCOUT_EMAIL; without it, to the scout with the fewest open cases."""
    with unit_of_work():
        town = db.session.scalar(select(Municipality).where(Municipality.name == municipality))
        if town is None:
            raise click.ClickException(f"Unbekannte Gemeinde: {municipality}")
        scout = None
        if scout_email:
            scout = db.session.scalar(select(User).where(User.email == scout_email.strip().lower()))
            if scout is None or scout.role != Role.SCOUT or not scout.takes_work:
                raise click.ClickException(f"Kein aktiver Prozessscout mit der E-Mail-Adresse {scout_email}")
        assignment.assign(town.id, scout)
    target = scout.name if scout else "den Prozessscout mit den wenigsten offenen Fällen"
    click.echo(f"Anfragen aus {town.name} gehen an {target}.")

"""The funder report's supported businesses as a read model (app.reports.support): per kept period (each calendar
month, quarter and year, and each programme year) and place, how many distinct businesses had a milestone in it;
and per business the periods and place it is counted under."""

from datetime import date

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class SupportedCell(db.Model):
    __tablename__ = "supported_cells"

    period_start: Mapped[date] = mapped_column(primary_key=True)
    period_end: Mapped[date] = mapped_column(primary_key=True)
    size: Mapped[str] = mapped_column(String(8), primary_key=True)  # EU size class (app.reports.funder)
    annex: Mapped[str] = mapped_column(String(4), primary_key=True)
    trade_group: Mapped[str] = mapped_column(String(80), primary_key=True)
    municipality_id: Mapped[int] = mapped_column(primary_key=True)
    businesses: Mapped[int] = mapped_column(default=0, server_default="0")


class BusinessSupport(db.Model):
    """What one business adds to supported_cells: the periods (space-separated "YYYY-MM-DD/YYYY-MM-DD") under
    its place as it was counted, so a later change subtracts exactly that."""

    __tablename__ = "business_support"

    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id"), primary_key=True)
    periods: Mapped[str] = mapped_column(Text)
    size: Mapped[str] = mapped_column(String(8))
    annex: Mapped[str] = mapped_column(String(4))
    trade_group: Mapped[str] = mapped_column(String(80))
    municipality_id: Mapped[int]

"""Region (municipalities and postcodes), trades of the Handwerksordnung, digitalisation topics."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db


class Municipality(db.Model):
    __tablename__ = "municipalities"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    district: Mapped[str] = mapped_column(String(120))
    postcodes: Mapped[list["Postcode"]] = relationship(back_populates="municipality", lazy="selectin")


class Postcode(db.Model):
    """A postcode of a municipality; a postcode that spans two municipalities has a row for each."""

    __tablename__ = "postcodes"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), primary_key=True, index=True)
    municipality: Mapped[Municipality] = relationship(back_populates="postcodes")


class Trade(db.Model):
    """A craft trade; annex A/B1/B2 of the Handwerksordnung and the chamber's reporting group."""

    __tablename__ = "trades"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int | None]
    name: Mapped[str] = mapped_column(String(120), unique=True)
    annex: Mapped[str] = mapped_column(String(2))
    group: Mapped[str] = mapped_column(String(80))


class Topic(db.Model):
    """A digitalisation topic shared by workshops, partner expertise, measures and the check."""

    __tablename__ = "topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))

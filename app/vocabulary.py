"""Closed vocabularies (roles, states, statuses, kinds) are StrEnums, and the database refuses other values.

`one_of` gives the CHECK constraint; its name follows the metadata's naming convention
(ck_<table>_<column>), so migrations stay identical on SQLite and PostgreSQL.
"""

from enum import StrEnum

from sqlalchemy import CheckConstraint


def one_of(column: str, vocabulary: type[StrEnum]) -> CheckConstraint:
    values = ", ".join(f"'{member.value}'" for member in vocabulary)
    return CheckConstraint(f"{column} IN ({values})", name=column)

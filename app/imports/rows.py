"""One row of the register's extract: the fields it may fill, the column mapping, and the checks on its values.

Everything here is pure (no database): the reference data a row is checked against comes in as a `Reference`.
"""

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

FIELDS = {  # field -> label; name, postcode and trade are required
    "register_number": _l("Handwerksrolle number"),
    "name": _l("Name of the business"),
    "trade": _l("Trade"),
    "street": _l("Street and number"),
    "postcode": _l("Postcode"),
    "contact_name": _l("Contact person"),
    "phone": _l("Phone"),
    "email": _l("Email"),
    "employees": _l("Employees"),
}
REQUIRED = ("name", "postcode", "trade")
MAX_LENGTH = {"register_number": 20, "name": 200, "street": 200, "contact_name": 120, "phone": 40, "email": 254}
# Header names the register's exports use, for the first guess of a mapping (compared casefolded, without spaces).
SYNONYMS = {
    "register_number": ("rollennummer", "handwerksrollennummer", "hwrnummer", "hwr-nr", "hwr-nr.", "betriebsnummer",
                        "registernummer", "nr", "nr."),
    "name": ("name", "firma", "firmenname", "betrieb", "betriebsname"),
    "trade": ("gewerk", "handwerk", "beruf", "gewerbe"),
    "street": ("straße", "strasse", "str.", "anschrift", "adresse"),
    "postcode": ("plz", "postleitzahl"),
    "contact_name": ("ansprechpartner", "ansprechperson", "inhaber", "kontakt", "betriebsinhaber"),
    "phone": ("telefon", "tel", "tel.", "telefonnummer"),
    "email": ("e-mail", "email", "mail", "e-mail-adresse"),
    "employees": ("beschäftigte", "mitarbeiter", "mitarbeitende", "anzahlbeschäftigte"),
}
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Why a row is skipped (key -> what the dry run and the error file say).
REASONS = {
    "missing_name": _l("The name is missing."),
    "invalid_postcode": _l("The postcode is not five digits."),
    "outside_region": _l("The postcode is outside the region."),
    "unknown_trade": _l("The trade is unknown."),
    "invalid_register_number": _l("The Handwerksrolle number has the wrong format."),
    "invalid_email": _l("The email address is not valid."),
    "invalid_employees": _l("The number of employees is not a whole number."),
    "too_long": _l("A value is longer than allowed."),
    "duplicate_register_number": _l("An earlier row of the file has the same Handwerksrolle number."),
    "duplicate_name_postcode": _l("An earlier row of the file has the same name and postcode."),
    "exists_differs": _l("The business exists with other data; choose “update existing businesses” to take them."),
}


def header_key(headers: list[str]) -> str:
    """The remembered mapping's key: the header row, normalised (a file with the same columns gets it again)."""
    joined = "\x1f".join(" ".join(h.split()).casefold() for h in headers)
    return hashlib.sha256(joined.encode()).hexdigest()


def guess_mapping(headers: list[str]) -> dict[str, int]:
    """A first mapping from the header names (field -> column index)."""
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        plain = "".join(header.split()).casefold()
        for name, synonyms in SYNONYMS.items():
            if name not in found and plain in {s.replace(" ", "") for s in synonyms}:
                found[name] = index
                break
    return found


@dataclass(frozen=True)
class Reference:
    """What a row is checked against: the region's postcodes and the trades (by name and by number)."""

    municipality_of: dict[str, int]  # postcode -> municipality id
    trade_by_name: dict[str, int]  # casefolded name -> trade id
    trade_by_number: dict[str, int]  # Anlage A number -> trade id
    register_pattern: str


def text(value: str) -> str:
    """A cell's text: Unicode NFC, no control characters, inner whitespace collapsed."""
    return " ".join(CONTROL.sub(" ", unicodedata.normalize("NFC", value)).split())


def name_key(name: str, postcode: str) -> tuple[str, str]:
    return name.casefold(), postcode


@dataclass
class Checked:
    """A row's values ready for the database (None: the cell was empty or its column unmapped), or its problem."""

    line: int
    values: dict[str, Any]
    problem: str | None = None


def check(line: int, cells: list[str], mapping: dict[str, int], ref: Reference) -> Checked:
    """The row's values in the businesses' columns, or the first problem that keeps it out."""
    raw = {field: text(cells[index]) if index < len(cells) else "" for field, index in mapping.items()}
    values: dict[str, Any] = {name: raw.get(name) or None for name in ("register_number", "name", "street",
                                                                        "contact_name", "phone", "email")}
    postcode = values["postcode"] = raw.get("postcode", "")
    result = Checked(line, values)
    if not values["name"]:
        result.problem = "missing_name"
    elif any(len(raw.get(name) or "") > limit for name, limit in MAX_LENGTH.items()):
        result.problem = "too_long"
    elif not re.fullmatch(r"\d{5}", postcode):
        result.problem = "invalid_postcode"
    elif postcode not in ref.municipality_of:
        result.problem = "outside_region"
    else:
        trade = raw.get("trade", "")
        trade_id = ref.trade_by_number.get(trade) if trade.isdigit() else ref.trade_by_name.get(trade.casefold())
        if trade_id is None:
            result.problem = "unknown_trade"
        elif values["register_number"] and not re.fullmatch(ref.register_pattern, values["register_number"]):
            result.problem = "invalid_register_number"
        elif values["email"] and not EMAIL.fullmatch(values["email"]):
            result.problem = "invalid_email"
        else:
            values.update(trade_id=trade_id, municipality_id=ref.municipality_of[postcode])
            if values["email"]:
                values["email"] = values["email"].lower()
            employees = raw.get("employees", "")
            if employees and not (employees.isdigit() and len(employees) <= 7):
                result.problem = "invalid_employees"
            values["employees"] = int(employees) if employees.isdigit() and len(employees) <= 7 else None
    return result

"""Input is checked before it reaches the database, app-wide: integers from URLs, query strings and forms,
control characters and sizes.

- `<int:…>` in a route takes only ASCII digits (no leading zero) within PostgreSQL's INTEGER, 1 to 2**31-1:
  `/cases/2147483648` or `/cases/١` finds no route (404) instead of failing in the database.
- `parse_int()` reads any other integer the same strict way (`str.isdigit()` and `int()` also take "²"
  or "١٢", and `int()` any size); `int_arg()` and `page_arg()` read query parameters with it, and `db_id`
  is the coerce of a form's select of database rows.
- Before any view runs, a request is refused (400, with a German page) when its path, a query parameter
  or a form value contains NUL or another control character (a form value may contain tab, CR and LF: a
  textarea sends line breaks), or when a query parameter is absurdly long; a body over MAX_CONTENT_LENGTH
  is refused with 413.
"""

import re
from collections.abc import Callable

from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import IntegerConverter
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

DB_INT_MAX = 2**31 - 1  # PostgreSQL INTEGER: every id column, and what a query may compare with one
MAX_PAGE = 100_000  # a page number beyond this is no page of any list (and its OFFSET still fits an INTEGER)
MAX_QUERY_VALUE = 2_000  # characters of one query parameter (a search, a `next` path)
MAX_CONTENT_LENGTH = 1024 * 1024  # bytes of a request body: the largest form is a few textareas of 5000 chars

# The error of a select whose value is no id (give it as the field's invalid_value_message).
NOT_IN_LIST = _l("Please choose an entry from the list.")

_INTEGER = re.compile(r"[0-9]{1,10}")
# C0 control characters and DEL; a form value may carry tab, LF and CR (a textarea's line breaks).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_FORM = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class DbIdConverter(IntegerConverter):
    """`<int:…>`: ASCII digits without a leading zero, from 1 to 2**31-1; anything else does not match (404)."""

    regex = r"[1-9][0-9]{0,9}"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 1, max: int | None = DB_INT_MAX,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def parse_int(value, *, minimum: int = 1, maximum: int = DB_INT_MAX) -> int | None:
    """The number a string spells in ASCII digits when it lies within minimum..maximum, else None."""
    if not isinstance(value, str) or not _INTEGER.fullmatch(value):
        return None
    number = int(value)
    return number if minimum <= number <= maximum else None


def int_arg(name: str, default: int | None = None, *, minimum: int = 1, maximum: int = DB_INT_MAX) -> int | None:
    """A query parameter as an integer (an id, by default); the default when it is missing or no such number."""
    number = parse_int(request.args.get(name), minimum=minimum, maximum=maximum)
    return default if number is None else number


def page_arg() -> int:
    """?page=: the page number of a list, 1 when it is missing or no page number."""
    return int_arg("page", 1, maximum=MAX_PAGE)


def db_id(value) -> int | None:
    """Coerce a select of database rows: an id (or the placeholder 0), None for the empty placeholder.

    Anything else raises ValueError, which the field reports (its invalid_value_message, e.g. NOT_IN_LIST):
    the view never sees it.
    """
    if value is None or value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= DB_INT_MAX:
        return value
    number = parse_int(value, minimum=0)
    if number is None:
        raise ValueError(f"not an id: {value!r}"[:80])
    return number


def _refusal(message: str, code: int = 400):
    return render_template("errors/error.html", code=code, message=message), code



class CheckboxesField(SelectMultipleField):
    """Several choices as checkboxes (rendered inside a fieldset by the template)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def accepts_upload(max_bytes_setting: str) -> Callable:
    """Mark a view that takes a file: its body may be as large as the named setting (not MAX_CONTENT_LENGTH)."""

    def mark(view: Callable) -> Callable:
        view.max_bytes_setting = max_bytes_setting
        return view

    return mark


def _allow_upload(endpoint: str | None, _values) -> None:
    """A view marked by accepts_upload takes a larger body. Set as a URL value preprocessor, which runs before every
    before_request function: the CSRF check reads the form in one, and would meet the global limit first."""
    view = current_app.view_functions.get(endpoint or "")
    if setting := getattr(view, "max_bytes_setting", None):
        request.max_content_length = current_app.config[setting]


def refuse_hostile_input():
    """Refuse control characters and overlong query values before anything reads them (before_request)."""
    if _CONTROL.search(request.path):
        return _refusal(_("The address contains control characters. Please check the link."))
    for key, value in request.args.items(multi=True):
        if _CONTROL.search(key) or _CONTROL.search(value):
            return _refusal(_("The address contains control characters. Please check the link."))
        if len(value) > MAX_QUERY_VALUE:
            return _refusal(_("A value in the address is too long."))
    for key, value in request.form.items(multi=True):  # reading the form enforces MAX_CONTENT_LENGTH (413)
        if _CONTROL_IN_FORM.search(key) or _CONTROL_IN_FORM.search(value):
            return _refusal(_("The form contains control characters (such as a null byte). Please enter the "
                              "text again without them."))
    return None


def _too_large(_error):
    return _refusal(_("The data sent is too large."), 413)


def init_app(app: Flask) -> None:
    """Call before the blueprints are registered: their routes' `<int:…>` use the converter in place then."""
    app.url_map.converters["int"] = DbIdConverter
    if app.config.get("MAX_CONTENT_LENGTH") is None:
        app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    app.url_value_preprocessor(_allow_upload)
    app.before_request(refuse_hostile_input)
    app.register_error_handler(RequestEntityTooLarge, _too_large)

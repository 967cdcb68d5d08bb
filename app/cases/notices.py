"""What the system did on its own while a request ran (e.g. the emails a move planned), said in its confirmation.

An operation deep inside a move (the follow-up rules) cannot know which page the user sees; it adds a notice
here, and after a successful request (status below 400, committed) each notice is flashed, so the next page
shows it next to the confirmation. Outside a request (jobs, CLI) notices are dropped.
"""

from flask import Flask, Response, flash, g, has_request_context
from flask_login import current_user

KEY = "procheck_notices"


def add(text: str) -> None:
    if has_request_context():
        g.setdefault(KEY, []).append(text)


def _flash_after_commit(response: Response) -> Response:
    texts = g.pop(KEY, [])
    if texts and response.status_code < 400 and current_user.is_authenticated:  # staff only, never a business
        flash(" ".join(texts), "info")
    return response


def init_app(app: Flask) -> None:
    """Flask runs after_request functions in reverse order: registered before app.transactions (cases.init_app
    comes first in create_app), this one runs after the commit, so a failed commit flashes nothing."""
    app.after_request(_flash_after_commit)

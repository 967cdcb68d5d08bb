"""One unit of work per request, job and CLI command: the only places that commit.

A request commits once, after the view returned a response below 400, and rolls back otherwise
(load -> check access -> operation -> commit, as indico does). Jobs and CLI commands wrap their
work in `unit_of_work()`. Operations only flush and raise `DomainError`; a view that catches one
to show the page again runs the operation inside `refusable()`, which rolls the attempt back first.
The outbox's per-mail result commits are the one other exception (app.scheduling.outbox).
"""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Response
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.errors import DomainError
from app.extensions import db


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Run a job's or command's work in one transaction: commit at the end, roll back on any error."""
    try:
        yield db.session
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


@contextmanager
def refusable() -> Iterator[None]:
    """Run an operation a view may answer with a form error: a DomainError undoes what it flushed.

    The view then renders the page again (status >= 400) from the database as it is.
    """
    try:
        yield
    except DomainError:
        db.session.rollback()
        raise


@contextmanager
def discarded() -> Iterator[None]:
    """Run work whose changes must not stay (a preview rendered as the real thing would be, e.g. an email's signed
    links): inside a savepoint that is rolled back afterwards, whatever happens."""
    savepoint = db.session.begin_nested()
    try:
        yield
    finally:
        savepoint.rollback()


def _end_request(response: Response) -> Response:
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


class PendingChanges(AssertionError):
    """Test guard: a request ended with changes that were neither committed nor rolled back."""


def _flushed(session: Session, _flush_context) -> None:
    session.info["flushed"] = True


def _finished(session: Session) -> None:
    session.info.pop("flushed", None)


def _refuse_pending_changes(_exc) -> None:
    session = db.session()
    pending = session.new or session.dirty or session.deleted or session.info.get("flushed")
    if pending:
        session.rollback()
        raise PendingChanges("the request ended with uncommitted changes in the session")


def init_app(app: Flask) -> None:
    app.after_request(_end_request)
    if app.config.get("CHECK_PENDING_CHANGES"):
        # Tests: a view whose commit path is skipped fails loudly instead of passing on a shared session.
        for name, listener in (("after_flush", _flushed), ("after_commit", _finished), ("after_rollback", _finished)):
            if not event.contains(Session, name, listener):
                event.listen(Session, name, listener)
        app.teardown_request(_refuse_pending_changes)

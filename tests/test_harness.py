"""The test harness itself: a view whose commit path is skipped fails its test instead of passing on a shared
session; what a request committed is read back through a fresh session; requests do not share `g`.

"Skipping the commit path" here means: the request's commit (app.transactions._end_request) is taken out of the
after-request hooks, and any commit inside the request only flushes, as a view that forgets to commit would.
"""

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app import create_app, transactions
from app.auth import sessions
from app.cases.models import Case, CaseEvent
from app.extensions import db
from tests.conftest import IsolatedClient
from tests.factories import add_check, make_case

pytestmark = pytest.mark.postgres  # the harness works the same on both backends

NOTE = {"channel": "call", "text": "Termin für den Check vereinbart"}


def _notes_in_the_database(case_id: int) -> list[str]:
    """Read through a new session on its own connection: only what was committed."""
    with Session(db.engine) as fresh:
        return list(fresh.scalars(select(CaseEvent.text).where(CaseEvent.case_id == case_id,
                                                              CaseEvent.kind == "note")))


def _skip_the_commit_path(app: Flask) -> None:
    """No commit after the request, and every commit inside it only flushes."""
    app.after_request_funcs[None].remove(transactions._end_request)

    @app.before_request
    def commits_only_flush() -> None:
        session = db.session()
        session.commit = session.flush  # this request's session only


def _post_note(client, case: Case):
    return client.post(f"/cases/{case.id}/notes", data=NOTE)


def test_a_posted_note_is_read_back_through_a_fresh_session(app, client, login, users):
    case = make_case(users["scout"])
    login("scout")
    assert _post_note(client, case).status_code == 302
    assert _notes_in_the_database(case.id) == [NOTE["text"]]


def test_a_view_whose_commit_path_is_skipped_fails_the_request(app, client, login, users):
    case = make_case(users["scout"])
    login("scout")
    _skip_the_commit_path(app)
    with pytest.raises(transactions.PendingChanges):
        _post_note(client, case)
    assert _notes_in_the_database(case.id) == []


def test_without_the_guard_the_lost_write_is_still_caught_by_reading_the_database(app, users):
    """CHECK_PENDING_CHANGES off: the request answers as if all went well, but nothing was saved, and the
    assertion sees that because the request had a session of its own (a shared one would still hold the note)."""
    unguarded = create_app("test", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                           CHECK_PENDING_CHANGES=False)
    unguarded.test_client_class = IsolatedClient
    _skip_the_commit_path(unguarded)
    case = make_case(users["scout"])
    scout_id = sessions.open_now(users["scout"])

    client = unguarded.test_client()
    with client.session_transaction() as cookie:
        cookie["_user_id"], cookie["_fresh"] = scout_id, True
    assert _post_note(client, case).status_code == 302
    assert _notes_in_the_database(case.id) == []

    # The old harness: the request shared the test's application context and so its session.
    with unguarded.app_context():
        shared = FlaskClient(unguarded)
        with shared.session_transaction() as cookie:
            cookie["_user_id"], cookie["_fresh"] = scout_id, True
        assert _post_note(shared, case).status_code == 302
        looked_saved = db.session.scalars(select(CaseEvent.text).where(CaseEvent.case_id == case.id,
                                                                       CaseEvent.kind == "note")).all()
        assert looked_saved == [NOTE["text"]]  # what the old tests saw
        assert _notes_in_the_database(case.id) == []  # what the database holds
        db.session.rollback()
    with unguarded.app_context():
        db.engine.dispose()


def test_objects_of_the_test_show_what_a_request_changed(app, client, login, users):
    case = make_case(users["scout"])
    add_check(case)
    login("scout")
    response = client.post(f"/cases/{case.id}/move", data={"target": "check_done", "version": case.version})
    assert response.status_code == 302
    assert case.state == "check_done"  # no refresh needed: the client expired the test's objects


def test_requests_do_not_share_the_signed_in_user(app, login):
    """Flask-Login caches the user in `g`; each request has its own application context and so its own `g`."""
    scout, lead = app.test_client(), app.test_client()
    login("scout", on=scout)
    login("lead", on=lead)
    for _ in range(2):
        assert scout.get("/pipeline").status_code == 403
        assert lead.get("/pipeline").status_code == 200
    scout.post("/logout")
    assert scout.get("/cases").status_code == 302
    assert lead.get("/cases").status_code == 200

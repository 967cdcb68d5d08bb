"""Server-side sessions: signing out ends the session in the database, so a copy of the cookie stops working;
signing in rotates the session; "sign out everywhere", disabling and the idle timeout end rows too."""

import time

import pytest
from sqlalchemy import func, select

from app.auth.models import User, UserSession
from app.extensions import db
from tests.conftest import PASSWORD


def _sign_in(client, email="scout1@example.org", password=PASSWORD):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _browser_with(app, cookie: str):
    """Another browser that presents a copied session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _sends_to_login(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def _rows(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id))


@pytest.mark.postgres
def test_a_copied_cookie_stops_working_after_sign_out(app, client, users):
    _sign_in(client)
    copied = _cookie(client)
    assert _browser_with(app, copied).get("/cases").status_code == 200  # the copy works while signed in
    client.post("/logout")
    assert _sends_to_login(client.get("/cases"))
    assert _sends_to_login(_browser_with(app, copied).get("/cases"))
    assert _rows(users["scout"]) == 0


def test_signing_in_rotates_the_session(app, client, users):
    _sign_in(client)
    before = _cookie(client)
    _sign_in(client)  # again, in the same browser
    assert _cookie(client) != before
    assert client.get("/cases").status_code == 200
    assert _sends_to_login(_browser_with(app, before).get("/cases"))  # the earlier session has ended
    assert _rows(users["scout"]) == 1


def test_signing_out_on_one_device_keeps_the_other_signed_in(app, users):
    tablet, laptop = app.test_client(), app.test_client()
    _sign_in(tablet)
    _sign_in(laptop)
    laptop.post("/logout")
    assert tablet.get("/cases").status_code == 200
    assert _sends_to_login(laptop.get("/cases"))


def test_sign_out_everywhere_ends_every_session_of_the_account_only(app, users):
    tablet, laptop, colleague = app.test_client(), app.test_client(), app.test_client()
    _sign_in(tablet)
    _sign_in(laptop)
    _sign_in(colleague, email="scout2@example.org")
    laptop.post("/logout-everywhere")
    assert _sends_to_login(tablet.get("/cases"))
    assert _rows(users["scout"]) == 0
    assert colleague.get("/cases").status_code == 200


def test_disabling_an_account_ends_its_sessions_in_the_database(app, client, login, users):
    scout = app.test_client()
    _sign_in(scout, email="scout2@example.org")
    login("admin")
    client.post(f"/admin/users/{users['scout2'].id}/active", data={"active": "0"})
    assert _rows(users["scout2"]) == 0
    assert _sends_to_login(scout.get("/cases"))
    client.post(f"/admin/users/{users['scout2'].id}/active", data={"active": "1"})
    assert _sends_to_login(scout.get("/cases"))  # enabling again does not bring the old session back


def test_the_idle_sign_out_ends_the_session_row(app, client, users):
    _sign_in(client)
    copied = _cookie(client)
    with client.session_transaction() as session:
        session["seen"] = time.time() - 31 * 60
    assert "wegen Inaktivität abgemeldet" in client.get("/cases", follow_redirects=True).get_data(as_text=True)
    assert _rows(users["scout"]) == 0
    assert _sends_to_login(_browser_with(app, copied).get("/cases"))


def test_the_database_keeps_only_a_digest_of_the_token(client, users):
    _sign_in(client)
    with client.session_transaction() as session:
        token = session["_user_id"]
    stored = db.session.scalars(select(UserSession.token_hash)).all()
    assert len(token) >= 40 and token not in stored and len(stored) == 1


def test_a_cookie_of_the_old_kind_signs_nobody_in(client, users):
    """Before server-side sessions the cookie held "<user id>:<session version>"; such cookies stop working."""
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = f"{users['scout'].id}:1", True
    assert _sends_to_login(client.get("/cases"))

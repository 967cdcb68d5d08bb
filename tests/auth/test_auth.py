"""Signing in and out: Argon2id, throttling in the database, safe redirects, session ends, CSRF."""

import os
import subprocess
import sys
import time

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from app import create_app
from app.auth.models import LoginThrottle, User
from app.extensions import db
from tests.conftest import PASSWORD, ROOT


def _login(client, email="scout1@example.org", password=PASSWORD, **extra):
    return client.post("/login", data={"email": email, "password": password, **extra})


def test_login_with_right_password_opens_the_caseload(client):
    response = _login(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/cases")
    assert "Meine Fälle" in client.get("/cases").get_data(as_text=True)


def test_wrong_password_is_refused_in_german_and_counted_in_the_database(client, users):
    response = _login(client, password="falsch-falsch-falsch")
    assert response.status_code == 401
    assert "E-Mail-Adresse oder Passwort ist falsch." in response.get_data(as_text=True)
    attempts = db.session.scalar(select(LoginThrottle.attempts).where(LoginThrottle.key == "email:scout1@example.org"))
    assert attempts == 1


def test_unknown_email_gets_the_same_message(client):
    response = _login(client, email="niemand@example.org")
    assert response.status_code == 401
    assert "E-Mail-Adresse oder Passwort ist falsch." in response.get_data(as_text=True)


@pytest.mark.postgres
def test_five_failures_lock_the_account_even_for_the_right_password(client, users):
    for _ in range(5):
        _login(client, password="falsch-falsch-falsch")
    response = _login(client)
    assert response.status_code == 429
    assert "Zu viele Versuche. Bitte versuchen Sie es um " in response.get_data(as_text=True)
    assert db.session.scalar(select(LoginThrottle.reset_at).where(LoginThrottle.key == "email:scout1@example.org"))


@pytest.mark.postgres
def test_lock_counts_across_clients_because_it_lives_in_the_database(app, users):
    for _ in range(5):
        _login(app.test_client(), password="falsch-falsch-falsch")  # a new "browser" each time
    assert "Zu viele Versuche" in _login(app.test_client()).get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example.com/", "//evil.example.com/x", "/\\evil.example.com",
                                    "/cases\r\nSet-Cookie: x=1"])
def test_next_to_another_host_is_ignored(client, target):
    response = _login(client, next=target)
    assert response.headers["Location"].endswith("/cases")


def test_next_on_this_host_is_followed(client):
    response = _login(client, next="/workshops")
    assert response.headers["Location"].endswith("/workshops")


def test_logout_needs_post(client, login):
    login("scout")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/cases").status_code == 302


def test_log_out_everywhere_ends_sessions_on_other_devices(app, login, users):
    tablet, laptop = app.test_client(), app.test_client()
    login("scout", on=tablet)
    login("scout", on=laptop)
    laptop.post("/logout-everywhere")
    response = tablet.get("/cases")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_disabling_a_user_ends_their_session(app, client, login, users):
    scout = app.test_client()
    login("scout2", on=scout)
    assert scout.get("/cases").status_code == 200
    login("admin")
    client.post(f"/admin/users/{users['scout2'].id}/active", data={"active": "0"})
    assert scout.get("/cases").status_code == 302
    assert db.session.get(User, users["scout2"].id).active is False


def test_idle_session_is_ended_with_a_message(client, login):
    login("scout")
    with client.session_transaction() as session:
        session["seen"] = time.time() - 31 * 60
    response = client.get("/cases", follow_redirects=True)
    assert "wegen Inaktivität abgemeldet" in response.get_data(as_text=True)


def test_password_is_rehashed_when_parameters_change(client, users):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    users["scout"].password_hash = weak.hash(PASSWORD)
    db.session.commit()
    _login(client)
    db.session.expire_all()
    assert "m=65536" in db.session.get(User, users["scout"].id).password_hash


def test_session_cookie_is_httponly_and_samesite_lax(client):
    _login(client)
    cookie = client.get_cookie("session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_forms_need_a_csrf_token(app):
    app.config["WTF_CSRF_ENABLED"] = True
    response = _login(app.test_client())
    assert response.status_code == 400


def test_admin_creates_an_account_and_a_weak_password_is_refused(client, login):
    login("admin")
    weak = client.post("/admin/users", data={"name": "Neu", "email": "neu@example.org", "role": "scout",
                                             "password": "kurz"})
    assert "mindestens 12 Zeichen" in weak.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "neu@example.org")) is None
    client.post("/admin/users", data={"name": "Neu", "email": "neu@example.org", "role": "scout",
                                      "password": "Werkbank-Hobel-42"})
    assert db.session.scalar(select(User).where(User.email == "neu@example.org")).role == "scout"


def test_create_user_command_refuses_a_weak_password_and_asks_when_none_is_given(app):
    runner = app.test_cli_runner()
    weak = runner.invoke(args=["procheck", "create-user", "--email", "x@example.org", "--name", "X",
                               "--role", "scout", "--password", "123"])
    assert weak.exit_code != 0 and "mindestens 12 Zeichen" in weak.output
    asked = runner.invoke(args=["procheck", "create-user", "--email", "x@example.org", "--name", "X",
                                "--role", "lead"], input="Werkbank-Hobel-42\nWerkbank-Hobel-42\n")
    assert asked.exit_code == 0, asked.output
    assert db.session.scalar(select(User).where(User.email == "x@example.org")).role == "lead"


def test_production_refuses_to_start_without_secret_key_and_database_url():
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL")}
    env["PROCHECK_ENV"] = "production"
    result = subprocess.run([sys.executable, "-c", "from app import create_app; create_app()"], env=env,
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode != 0
    assert result.stderr.strip() == ("ProCheck refuses to start in production: SECRET_KEY is not set; "
                                     "DATABASE_URL is not set; PUBLIC_BASE_URL must be an https:// address.")


def test_production_session_cookie_is_secure(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://procheck.example.org")
    assert create_app("production").config["SESSION_COOKIE_SECURE"] is True

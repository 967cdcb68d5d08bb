"""Sign-in throttling: the attempt is counted before the password is checked, for known and unknown
addresses alike, and per client address.

The burst tests send real HTTP requests from 30 threads at once to a werkzeug server on loopback, on SQLite
and on PostgreSQL, and count how many Argon2 checks ran (the real verify_password, wrapped with a counter).
"""

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.client import HTTPConnection
from urllib.parse import urlencode

import pytest
from sqlalchemy import select, update
from werkzeug.serving import make_server

from app.auth import passwords, services, throttle
from app.auth.models import LoginThrottle, UserSession
from app.extensions import db
from app.timeutil import utcnow
from tests.conftest import PASSWORD

WRONG = "falsch-falsch-falsch"
BURST = 30
WAIT_SECONDS = 60


def _login(client, email="scout1@example.org", password=PASSWORD, **environ):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": "192.0.2.10", **environ})


def _attempts(key: str) -> int | None:
    return db.session.scalar(select(LoginThrottle.attempts).where(LoginThrottle.key == key))


def _page(response, email: str) -> str:
    """The page without what differs by design: the address typed in (shown again) and the time."""
    return re.sub(r"\d\d:\d\d", "HH:MM", response.get_data(as_text=True).replace(email, "EMAIL"))


# --- one account: counted first, the same answer for every address ----------------------------------------------

def test_the_attempt_is_counted_before_the_password_is_checked(client, users):
    _login(client, password=WRONG)
    assert _attempts("email:scout1@example.org") == 1
    assert _attempts("ip:192.0.2.10") == 1


def test_a_successful_sign_in_forgets_the_failures_and_gives_the_address_its_attempt_back(client, users):
    for _ in range(4):
        _login(client, password=WRONG)
    assert _login(client).status_code == 302
    assert _attempts("email:scout1@example.org") is None
    assert _attempts("ip:192.0.2.10") == 4
    for _ in range(4):
        _login(client, password=WRONG)
    assert _login(client).status_code == 302  # four more failures are allowed again


def test_unknown_addresses_are_throttled_too_with_the_same_answer(app, users):
    def fifth_and_sixth(email):
        client = app.test_client()
        answers = [_login(client, email=email, password=WRONG) for _ in range(6)]
        return answers[4], answers[5]

    known_fifth, known_sixth = fifth_and_sixth("scout1@example.org")
    unknown_fifth, unknown_sixth = fifth_and_sixth("niemand@example.org")
    assert known_fifth.status_code == unknown_fifth.status_code == 401
    assert _page(known_fifth, "scout1@example.org") == _page(unknown_fifth, "niemand@example.org")
    assert known_sixth.status_code == unknown_sixth.status_code == 429
    assert re.search(r"Zu viele Versuche\. Bitte versuchen Sie es um \d\d:\d\d Uhr erneut\.",
                     unknown_sixth.get_data(as_text=True))
    assert _page(known_sixth, "scout1@example.org") == _page(unknown_sixth, "niemand@example.org")
    assert 0 < int(unknown_sixth.headers["Retry-After"]) <= 15 * 60 + 1


@pytest.mark.postgres
def test_an_overlong_email_address_is_refused_by_the_form_without_an_attempt(client):
    response = _login(client, email="x" * 5000 + "@example.org")
    assert response.status_code == 200
    assert "Bitte geben Sie eine gültige E-Mail-Adresse ein." in response.get_data(as_text=True)
    assert db.session.scalar(select(LoginThrottle.key)) is None


def test_a_disabled_account_gets_the_answer_of_a_wrong_password(app, client, users):
    users["scout2"].active = False
    db.session.commit()
    disabled = _login(client, email="scout2@example.org")
    wrong = _login(app.test_client(), password=WRONG)
    assert disabled.status_code == wrong.status_code == 401
    assert _page(disabled, "scout2@example.org") == _page(wrong, "scout1@example.org")


def test_the_lock_ends_after_its_time(client, users):
    for _ in range(5):
        _login(client, password=WRONG)
    assert _login(client).status_code == 429
    db.session.execute(update(LoginThrottle).values(reset_at=utcnow() - timedelta(seconds=1)))
    assert _login(client).status_code == 302


# --- per client address -------------------------------------------------------------------------------------------

def test_too_many_attempts_from_one_address_are_refused_with_429_and_a_clear_message(app, users):
    app.config["LOGIN_MAX_PER_ADDRESS"] = 3
    client = app.test_client()
    for n in range(3):
        assert _login(client, email=f"probe{n}@example.org", password=WRONG).status_code == 401
    refused = _login(client)  # even the right password, from this address
    assert refused.status_code == 429
    assert re.search(r"Zu viele Anmeldeversuche von Ihrer Netzwerkadresse\. Bitte versuchen Sie es um \d\d:\d\d Uhr "
                     r"erneut\.", refused.get_data(as_text=True))
    assert _attempts("email:scout1@example.org") is None  # the account's allowance is untouched
    assert _login(client, REMOTE_ADDR="198.51.100.7").status_code == 302  # another address is not affected


def test_successful_sign_ins_do_not_use_up_an_office_address(app, users):
    app.config["LOGIN_MAX_PER_ADDRESS"] = 3
    for who in ("scout1", "scout2", "leitung", "admin", "scout1", "scout2"):
        assert _login(app.test_client(), email=f"{who}@example.org").status_code == 302


def test_the_client_address_comes_from_trusted_proxies_only(app):
    headers = {"X-Forwarded-For": "203.0.113.9, 10.0.0.2"}
    with app.test_request_context(headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        assert throttle.client_address() == "10.0.0.1"  # no proxy configured: the header is anybody's
    app.config["LOGIN_PROXY_COUNT"] = 2
    with app.test_request_context(headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.1"}):
        assert throttle.client_address() == "203.0.113.9"
    app.config["LOGIN_PROXY_COUNT"] = 0
    with app.test_request_context(environ_base={"REMOTE_ADDR": "2001:db8:1:2:3:4:5:6"}):
        assert throttle.client_address() == "2001:db8:1:2::/64"  # one IPv6 client holds a whole /64


# --- bursts: real HTTP, real threads, both databases ---------------------------------------------------------------

class CountedChecks:
    """The real verify_password, counted; with `hold`, each check waits for the gate before it runs."""

    def __init__(self, hold: bool = False) -> None:
        self.count = 0
        self.lock = threading.Lock()
        self.gate = threading.Event()
        if not hold:
            self.gate.set()

    def __call__(self, password_hash: str, password: str) -> bool:
        with self.lock:
            self.count += 1
        assert self.gate.wait(WAIT_SECONDS), "the test never opened the gate"
        return passwords.verify_password(password_hash, password)


@pytest.fixture
def server(app) -> Iterator[tuple[str, int]]:
    """The app behind a threaded werkzeug server on loopback (the address limit out of the way: all the requests
    come from 127.0.0.1, and these tests are about the account's limit)."""
    app.config["LOGIN_MAX_PER_ADDRESS"] = 1000
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="login-burst-server", daemon=True)
    thread.start()
    try:
        yield "127.0.0.1", httpd.server_port
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _post_login(server, password: str, start: threading.Barrier | None = None) -> tuple[int, str, str]:
    """(status, body, Set-Cookie) of one POST /login over its own HTTP connection."""
    connection = HTTPConnection(*server, timeout=WAIT_SECONDS)
    try:
        if start:
            start.wait(WAIT_SECONDS)
        connection.request("POST", "/login", urlencode({"email": "scout1@example.org", "password": password}),
                           {"Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        return response.status, response.read().decode(), response.getheader("Set-Cookie") or ""
    finally:
        connection.close()


def _sessions_of(user) -> int:
    return len(db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all())


@pytest.mark.postgres
def test_thirty_concurrent_wrong_logins_check_at_most_the_allowed_number_of_passwords(
        app, server, users, monkeypatch):
    checks = CountedChecks()
    monkeypatch.setattr(services, "verify_password", checks)
    start = threading.Barrier(BURST)
    with ThreadPoolExecutor(BURST) as pool:
        answers = list(pool.map(lambda _i: _post_login(server, WRONG, start), range(BURST)))
    statuses = sorted(status for status, _body, _cookie in answers)
    print(f"\n{app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}: {BURST} concurrent wrong logins -> "
          f"{checks.count} password checks, statuses {statuses.count(401)}x401 {statuses.count(429)}x429")
    assert checks.count == app.config["LOGIN_MAX_FAILURES"] == 5
    assert statuses == [401] * 5 + [429] * (BURST - 5)
    assert _attempts("email:scout1@example.org") == BURST


@pytest.mark.postgres
def test_a_right_password_inside_the_burst_does_not_sign_in_while_locked(app, server, users, monkeypatch):
    """The five allowed checks are held at a gate while the right password arrives: it finds the account locked
    although none of the five failures has been decided yet (the old code read the lock before the hash and
    counted only failures afterwards, so it signed in)."""
    checks = CountedChecks(hold=True)
    monkeypatch.setattr(services, "verify_password", checks)
    with ThreadPoolExecutor(BURST) as pool:
        wrong = [pool.submit(_post_login, server, WRONG) for _ in range(BURST)]
        deadline = time.monotonic() + WAIT_SECONDS
        while (checks.count < 5 or sum(f.done() for f in wrong) < BURST - 5) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert checks.count == 5 and sum(f.done() for f in wrong) == BURST - 5
        status, body, _cookie = _post_login(server, PASSWORD)  # the right password, while five checks still run
        checks.gate.set()
        burst = [f.result(WAIT_SECONDS)[0] for f in wrong]
    print(f"\nright password inside a burst of {BURST}: {status}, {checks.count} password checks in all")
    assert status == 429 and "Zu viele Versuche" in body
    assert checks.count == 5
    assert sorted(burst) == [401] * 5 + [429] * (BURST - 5)
    assert _sessions_of(users["scout"]) == 0  # nobody was signed in

"""The password policy, changing one's own password, and an administrator's reset."""

import re

import pytest
from sqlalchemy import func, select

from app.auth.models import LoginThrottle, User, UserSession
from app.auth.passwords import password_problem, verify_password
from app.extensions import db
from tests.conftest import PASSWORD

# Twenty weak passwords of the kind people choose, each at least 12 characters long.
WEAK = [
    "Sommer2025!!", "Password1234!", "abcdefghijkl", "Passwort2024!", "Winter2026!!", "Handwerk2025!",
    "Qwertz123456", "123456789012", "Hallo1234567!", "Frühling2025!", "Herbst2023!!", "Dezember2024!",
    "Fussball1234", "Schalke04!!!", "Iloveyou2024!", "Admin1234567!", "Welcome2025!!", "P@ssw0rd2025",
    "H4ndw3rk2025!", "aaaaaaaaaaaa",
]
STRONG = ["Kaffeetasse-Dachrinne-Zollstock", "korrekt Pferd Batterie Heftklammer", "Tnz8#qLw2!vRx+Jm"]
NEW = "Kaffeetasse-Dachrinne-Zollstock"


@pytest.mark.parametrize("password", WEAK)
def test_weak_passwords_are_refused_in_german(app, password):
    problem = password_problem(password, "scout1@example.org", "Sina Scout")
    assert problem in (
        "Dieses Passwort steht auf einer Liste häufiger oder gestohlener Passwörter oder ist ein gängiges Wort mit "
        "angehängten Ziffern oder Zeichen. Bitte wählen Sie ein anderes.",
        "Dieses Passwort ist zu leicht zu erraten. Bitte wählen Sie ein anderes.",
    )


@pytest.mark.parametrize("password", STRONG)
def test_long_random_passphrases_are_accepted(app, password):
    assert password_problem(password, "scout1@example.org", "Sina Scout") is None


def test_the_users_name_and_email_address_are_refused(app):
    for password in ("Sina-Kaffeetasse-93", "Kaffeetasse-scout1-93"):
        assert password_problem(password, "scout1@example.org", "Sina Scout") == (
            "Das Passwort darf weder Ihren Namen noch Ihre E-Mail-Adresse enthalten.")


def test_short_passwords_are_refused(app):
    assert password_problem("Kurz-93!", "x@example.org") == "Das Passwort muss mindestens 12 Zeichen lang sein."


# --- changing one's own password ----------------------------------------------------------------------------------

def _change(client, current=PASSWORD, new=NEW, repeat=None):
    return client.post("/account/password", data={"current": current, "new": new,
                                                  "repeat": new if repeat is None else repeat})


def _sign_in(client, email="scout1@example.org", password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def _hash_of(user: User) -> str:
    return db.session.scalar(select(User.password_hash).where(User.id == user.id))


def test_the_password_page_needs_a_sign_in(client):
    response = client.get("/account/password")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_changing_the_password_ends_the_other_sessions_and_renews_this_one(app, client, users):
    tablet = app.test_client()
    assert _sign_in(tablet).status_code == 302
    assert _sign_in(client).status_code == 302
    before = client.get_cookie("session").value
    page = client.get("/account/password").get_data(as_text=True)
    assert "Aktuelles Passwort" in page and "Neues Passwort wiederholen" in page

    response = _change(client)
    assert response.status_code == 302
    assert "Ihr Passwort wurde geändert" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get("/cases").status_code == 200  # this browser stays signed in, with a new session
    assert client.get_cookie("session").value != before
    assert tablet.get("/cases").status_code == 302  # the other device is signed out
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 1
    assert verify_password(_hash_of(users["scout"]), NEW)
    assert _sign_in(app.test_client()).status_code == 401  # the old password no longer works


@pytest.mark.parametrize(("data", "message"), [
    ({"current": "falsch-falsch-falsch"}, "Das aktuelle Passwort ist falsch."),
    ({"new": "Sommer2025!!"}, "Dieses Passwort steht auf einer Liste"),
    ({"new": PASSWORD}, "Das neue Passwort muss sich vom aktuellen unterscheiden."),
    ({"repeat": "Kaffeetasse-Dachrinne"}, "Die beiden neuen Passwörter stimmen nicht überein."),
])
def test_a_refused_change_says_why_and_keeps_the_password(client, login, users, data, message):
    login("scout")
    response = _change(client, **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert verify_password(_hash_of(users["scout"]), PASSWORD)


def test_a_weak_new_password_uses_up_no_sign_in_attempt(client, login, users):
    login("scout")
    for _ in range(6):
        _change(client, new="Sommer2025!!")
    assert db.session.scalar(select(func.count()).select_from(LoginThrottle)) == 0


def test_the_current_password_check_is_throttled_like_a_sign_in(client, login, users):
    login("scout")
    for _ in range(5):
        assert _change(client, current="falsch-falsch-falsch").status_code == 422
    response = _change(client)
    assert response.status_code == 429
    assert "Zu viele Versuche" in response.get_data(as_text=True)


# --- an administrator's reset -------------------------------------------------------------------------------------

def _temporary_password(response) -> str:
    return re.search(r'<code class="temporary-password">([^<]+)</code>', response.get_data(as_text=True)).group(1)


def test_a_reset_shows_a_temporary_password_once_and_forces_a_change_at_the_next_sign_in(app, client, login, users):
    scout = app.test_client()
    assert _sign_in(scout).status_code == 302
    login("admin")
    assert "Passwort zurücksetzen" in client.get("/admin/users").get_data(as_text=True)

    response = client.post(f"/admin/users/{users['scout'].id}/password")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    temporary = _temporary_password(response)
    assert len(temporary) >= 16 and password_problem(temporary) is None
    assert scout.get("/cases").status_code == 302  # the scout's session has ended
    assert _sign_in(app.test_client()).status_code == 401  # and the old password with it

    fresh = app.test_client()
    signed_in = _sign_in(fresh, password=temporary)
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/account/password")
    held = fresh.get("/cases")
    assert held.status_code == 302 and held.headers["Location"].endswith("/account/password")
    page = fresh.get("/account/password").get_data(as_text=True)
    assert "Bitte wählen Sie ein neues Passwort, bevor Sie fortfahren." in page
    assert "von der Administration zurückgesetzt" in page

    assert _change(fresh, current=temporary).status_code == 302
    assert fresh.get("/cases").status_code == 200
    assert db.session.get(User, users["scout"].id).must_change_password is False


def test_a_reset_lifts_the_accounts_lock(app, client, login, users):
    for _ in range(5):
        _sign_in(app.test_client(), password="falsch-falsch-falsch")
    assert _sign_in(app.test_client()).status_code == 429
    login("admin")
    temporary = _temporary_password(client.post(f"/admin/users/{users['scout'].id}/password"))
    assert _sign_in(app.test_client(), password=temporary).status_code == 302


def test_an_admin_changes_their_own_password_on_the_password_page(client, login, users):
    login("admin")
    response = client.post(f"/admin/users/{users['admin'].id}/password")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    assert db.session.get(User, users["admin"].id).must_change_password is False


def test_an_account_made_by_an_admin_chooses_its_own_password_at_the_first_sign_in(app, client, login):
    login("admin")
    client.post("/admin/users", data={"name": "Nora Neu", "email": "neu@example.org", "role": "scout",
                                      "password": "Werkbank-Hobel-42"})
    response = _sign_in(app.test_client(), email="neu@example.org", password="Werkbank-Hobel-42")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")

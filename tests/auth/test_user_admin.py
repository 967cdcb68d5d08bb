"""The administrator edits accounts: name, email and role, a password reset that forces a change, the last
administrator keeps the role, no disable button on one's own row, and every action on the audit trail."""

import re
import threading
import time

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app.auth import services
from app.auth.audit import AuditEntry
from app.auth.models import User
from app.errors import DomainError
from app.extensions import db

PASSWORD = "procheck-demo"


def account(email: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.email == email))


def trail() -> list[tuple[str, str, int | None]]:
    return [(e.what, e.target, e.actor_id) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def edit(client, user: User, **values):
    data = {"name": user.name, "email": user.email, "role": user.role, **values}
    return client.post(f"/admin/users/{user.id}/edit", data=data)


def test_the_admin_changes_name_email_and_role_and_the_trail_says_so(client, login, users):
    admin = login("admin")
    scout = users["scout2"]
    response = edit(client, scout, name="Svenja Scout", email=" Svenja.Scout@Example.org ", role="lead")
    assert response.status_code == 302
    changed = account("svenja.scout@example.org")
    assert (changed.id, changed.name, changed.role) == (scout.id, "Svenja Scout", "lead")
    entry = db.session.scalar(select(AuditEntry))
    assert (entry.what, entry.actor_id, entry.target) == ("user.changed", admin.id, "svenja.scout@example.org")
    assert entry.details == {"name": ["Sven Scout", "Svenja Scout"], "email": ["scout2@example.org",
                             "svenja.scout@example.org"], "role": ["scout", "lead"]}
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Konto geändert" in page and "Adam Admin" in page and "scout → lead" in page


def test_a_bad_email_or_a_taken_one_is_refused_in_german_and_nothing_is_saved(client, login, users):
    login("admin")
    scout = users["scout2"]
    for email, message in (("kein-at-zeichen", "gültige E-Mail-Adresse"),
                           ("SCOUT1@example.org", "Es gibt bereits ein Konto mit dieser E-Mail-Adresse"),
                           ("x" * 250 + "@example.org", "gültige E-Mail-Adresse"),
                           ("", "E-Mail-Adresse ein")):
        response = edit(client, scout, name="Neu", email=email)
        assert response.status_code == 422, email
        assert message in response.get_data(as_text=True), email
    response = edit(client, scout, name="   ")
    assert response.status_code == 422 and "Bitte geben Sie einen Namen ein" in response.get_data(as_text=True)
    response = edit(client, scout, role="superuser")
    assert response.status_code == 422 and "Keine gültige Auswahl." in response.get_data(as_text=True)
    unchanged = account("scout2@example.org")
    assert (unchanged.name, unchanged.role) == ("Sven Scout", "scout")
    assert trail() == []


def test_an_admin_cannot_take_the_admin_role_from_themselves(client, login, users):
    login("admin")
    response = edit(client, users["admin"], role="lead")
    assert response.status_code == 422
    assert "Sie können sich selbst die Rolle Administration nicht entziehen" in response.get_data(as_text=True)
    assert account("admin@example.org").role == "admin"
    assert trail() == []


def test_the_last_active_admin_keeps_the_role_and_a_second_admin_may_be_demoted(app, users):
    only_admin, lead = users["admin"], users["lead"]
    try:
        services.update_user(only_admin, name=only_admin.name, email=only_admin.email, role="scout", actor=lead)
    except DomainError as error:
        assert "letzte aktive Konto" in error.message and error.field == "role"
    else:
        raise AssertionError("the last admin lost the role")
    db.session.rollback()
    second = services.create_user("zweite@example.org", "Zora Zweit", "admin", "Fahrrad-Leuchtturm-Kiesel-42")
    services.update_user(second, name=second.name, email=second.email, role="scout", actor=only_admin)
    db.session.commit()
    assert account("zweite@example.org").role == "scout"


def test_a_disabled_admin_does_not_count_as_another_admin(app, users):
    second = services.create_user("zweite@example.org", "Zora Zweit", "admin", "Fahrrad-Leuchtturm-Kiesel-42")
    services.set_active(users["admin"], False)
    db.session.flush()
    try:
        services.update_user(second, name=second.name, email=second.email, role="lead", actor=users["lead"])
    except DomainError as error:
        assert error.field == "role"
    else:
        raise AssertionError("the last active admin lost the role")


def test_the_admins_own_row_has_no_disable_button(client, login, users):
    admin = login("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/users/{admin.id}/active" not in page
    assert f"/admin/users/{users['scout'].id}/active" in page
    assert f"/admin/users/{admin.id}/edit" in page  # one's own name and email may still be edited


def test_a_reset_password_is_shown_once_and_must_be_changed_at_the_next_sign_in(app, client, login, users):
    admin = login("admin")
    response = client.post(f"/admin/users/{users['scout2'].id}/password")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    temporary = re.search(r'<code class="temporary-password">([^<]+)</code>',
                          response.get_data(as_text=True)).group(1)
    assert account("scout2@example.org").must_change_password
    assert trail() == [("user.password_reset", "scout2@example.org", admin.id)]

    other = app.test_client()
    assert other.post("/login", data={"email": "scout2@example.org", "password": PASSWORD}).status_code == 401
    signed_in = other.post("/login", data={"email": "scout2@example.org", "password": temporary})
    assert signed_in.headers["Location"].endswith("/account/password")
    blocked = other.get("/cases")
    assert blocked.status_code == 302 and blocked.headers["Location"].endswith("/account/password")
    new = "Wolkenkratzer-Pinguin-Harfe-73"
    changed = other.post("/account/password", data={"current": temporary, "new": new, "repeat": new})
    assert changed.status_code == 302
    assert not account("scout2@example.org").must_change_password
    assert other.get("/cases").status_code == 200


def test_disabling_and_enabling_are_on_the_trail(client, login, users):
    admin = login("admin")
    client.post(f"/admin/users/{users['scout2'].id}/active", data={"active": "0"})
    client.post(f"/admin/users/{users['scout2'].id}/active", data={"active": "1"})
    assert trail() == [("user.disabled", "scout2@example.org", admin.id),
                       ("user.enabled", "scout2@example.org", admin.id)]


def test_the_audit_trail_pages_beyond_the_last_entry_are_empty_not_an_error(client, login):
    login("admin")
    assert client.get("/admin/audit?page=99999").status_code == 200
    assert client.get("/admin/audit?page=99999999999999999999").status_code == 200


@pytest.mark.postgres
def test_two_admins_demoting_each_other_at_once_leave_one_admin(app, users):
    second = services.create_user("zweite@example.org", "Zora Zweit", "admin", "Fahrrad-Leuchtturm-Kiesel-42")
    db.session.commit()
    first_id, second_id = users["admin"].id, second.id
    holding = threading.Event()
    outcomes: dict[str, str] = {}

    def demote(target_id: int, actor_id: int, name: str, hold: bool) -> None:
        with app.app_context():
            try:
                target, actor = db.session.get(User, target_id), db.session.get(User, actor_id)
                if not hold:
                    holding.wait(5)
                services.update_user(target, name=target.name, email=target.email, role="scout", actor=actor)
                if hold:
                    holding.set()
                    time.sleep(0.5)  # the other one tries meanwhile
                db.session.commit()
                outcomes[name] = "demoted"
            except (DomainError, OperationalError) as error:
                db.session.rollback()
                holding.set()
                outcomes[name] = type(error).__name__
            finally:
                db.session.remove()

    threads = [threading.Thread(target=demote, args=(second_id, first_id, "second", True)),
               threading.Thread(target=demote, args=(first_id, second_id, "first", False))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert outcomes["second"] == "demoted" and outcomes["first"] != "demoted"
    db.session.expire_all()
    assert [u.email for u in db.session.scalars(select(User).where(User.role == "admin", User.active))] == [
        "admin@example.org"]


def test_the_last_active_admin_cannot_be_disabled_by_anyone(app, users):
    try:
        services.set_active(users["admin"], False, actor=users["lead"])
    except DomainError as error:
        assert error.field == "role"
    else:
        raise AssertionError("the last admin was disabled")

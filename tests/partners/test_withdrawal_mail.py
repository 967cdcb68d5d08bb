"""A referral withdrawn while the dispatcher holds its partner mail: the mail does not go out, the row says why.

The withdrawal is a real request (its own session, committed) made at the worst moments of a dispatcher pass:
right after the claim, and just before the send. A withdrawal during the send leaves the sent mail
recorded as sent (on PostgreSQL it waits for the send).
"""

import threading

import pytest
from sqlalchemy import select

from app.extensions import db
from app.partners.models import Referral
from app.partners.services import withdraw
from app.scheduling import mails, outbox
from app.scheduling.dispatch import dispatch_once
from app.scheduling.models import OutboxMessage
from app.scheduling.transport import SmtpTransport
from app.transactions import unit_of_work
from tests.factories import bring_to, make_case

REASON = "Versehentlich beim falschen Betrieb erfasst"


def _partner_mail(case) -> OutboxMessage:
    db.session.expire_all()
    return db.session.scalar(select(OutboxMessage).where(OutboxMessage.case_id == case.id,
                                                         OutboxMessage.audience == "partner"))


@pytest.fixture
def referred(client, login, users):
    """A referred case whose partner mail is due; the scout is logged in."""
    case = bring_to(make_case(users["scout"]), "referred", users["scout"])  # entering "referred" mails the partner
    referral = db.session.scalar(select(Referral).where(Referral.case_id == case.id))
    assert _partner_mail(case).status == "pending"
    login("scout")
    return case, referral


@pytest.mark.postgres
@pytest.mark.parametrize("moment", ["after the claim", "before the send"])
def test_a_mail_claimed_before_its_referral_is_withdrawn_is_not_sent(app, client, referred, smtp_server,
                                                                     monkeypatch, moment):
    case, referral = referred

    def withdraw_now():
        response = client.post(f"/referrals/{referral.id}/withdraw", data={"reason": REASON})
        assert response.status_code == 302

    if moment == "after the claim":
        claim = outbox.claim

        def claim_then_withdraw(*args, **kwargs):
            ids = claim(*args, **kwargs)
            assert _partner_mail(case).status == "sending"
            withdraw_now()
            return ids

        monkeypatch.setattr(outbox, "claim", claim_then_withdraw)
    else:  # the message is built from the row as rendered and held; the last step before the send
        build = mails.build

        def withdraw_then_build(row):
            withdraw_now()
            return build(row)

        monkeypatch.setattr(mails, "build", withdraw_then_build)

    stats = dispatch_once()
    monkeypatch.undo()

    assert (stats.sent, stats.cancelled, stats.lost) == (0, 1, 0)
    assert smtp_server.messages == []
    row = _partner_mail(case)
    withdrawn = db.session.get(Referral, referral.id)
    assert withdrawn.withdraw_reason == REASON
    why = f"Die Vermittlung an {withdrawn.partner.name} wurde zurückgezogen."
    assert (row.status, row.last_error, row.sent_at, row.lease_until) == ("cancelled", why, None, None)
    assert dispatch_once().sent == 0 and smtp_server.messages == []  # never sent later either


@pytest.mark.postgres
def test_a_withdrawal_during_the_send_leaves_the_sent_mail_recorded_as_sent(app, backend, referred, users,
                                                                             smtp_server, monkeypatch):
    """On PostgreSQL the withdrawal waits for the row the dispatcher holds; SQLite has no row lock, so there it
    cancels the claimed row while the mail goes out, and the send, being what happened, is recorded over it."""
    case, referral = referred
    send = SmtpTransport.send
    withdrawal = threading.Thread(target=_withdraw_in_own_session, args=(app, referral.id, users["lead"].id))

    def send_while_withdrawing(transport, message):
        withdrawal.start()
        withdrawal.join(timeout=1.0)
        assert withdrawal.is_alive() == (backend == "postgresql")  # waiting for the row the dispatcher holds
        send(transport, message)

    monkeypatch.setattr(SmtpTransport, "send", send_while_withdrawing)
    stats = dispatch_once()
    withdrawal.join(timeout=10)

    assert not withdrawal.is_alive() and (stats.sent, stats.cancelled) == (1, 0)
    assert [m["To"] for m in smtp_server.messages] == [_partner_mail(case).recipient]
    row = _partner_mail(case)
    assert row.status == "sent" and row.sent_at is not None and row.last_error == ""
    assert db.session.get(Referral, referral.id).withdraw_reason == REASON


def _withdraw_in_own_session(app, referral_id: int, lead_id: int) -> None:
    from app.auth.models import User

    with app.app_context(), unit_of_work():
        withdraw(db.session.get(Referral, referral_id), db.session.get(User, lead_id), REASON)

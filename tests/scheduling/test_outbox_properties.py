"""A Hypothesis state machine over the outbox: schedule, move, cancel, unsubscribe (and consent), tick and crash.

It drives the real code (outbox.queue with the consent check as the rules do, workflow.move, dispatch_once,
claim and leases) against a real SMTP server on loopback that sometimes answers 4xx or 5xx, and keeps:

- nothing arrives for a business that had not consented or had unsubscribed at the moment of sending;
- no mail arrives twice, except one that a crashed worker had in flight (sent, not yet recorded);
- a row not recorded as sent never arrived, again except such an in-flight one;
- at the end (no more crashes, time moves on, ticks until quiet) every row is sent, failed or cancelled.

SQLite only, to keep the run short; the PostgreSQL claim is covered by the worker tests.
"""

import itertools
import os
from collections import Counter
from datetime import timedelta

from flask import current_app
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import delete, select

from app.auth.models import User
from app.cases import workflow
from app.cases.models import Case
from app.extensions import db
from app.scheduling import dispatch, mails, outbox
from app.scheduling.consent import refusal
from app.scheduling.models import OUTBOX_STATUSES, OutboxMessage
from app.scheduling.transport import PermanentFailure, TemporaryFailure, open_transport
from app.timeutil import utcnow
from tests.factories import make_case

CASES = 3
FINAL = {"sent", "failed", "cancelled"}
REPLIES = {"ok": None, "4xx": "451 4.7.1 Try again later", "5xx": "550 5.1.1 User unknown"}  # "ok" is the simplest
_examples = itertools.count()


def _rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _time_passes(by: timedelta) -> None:
    for row in _rows():
        if row.status == "pending":
            row.due_at -= by
        elif row.status == "sending":
            row.lease_until -= by
    db.session.commit()


class OutboxMachine(RuleBasedStateMachine):
    server = None  # the MailServer, set by the test
    owner: User = None

    def __init__(self) -> None:
        super().__init__()
        self.example = next(_examples)
        db.session.execute(delete(OutboxMessage))
        db.session.commit()
        self.server.handler.messages.clear()
        self.server.handler.reject.clear()
        self.checked = 0  # received mails already checked against consent
        self.crash_sends: Counter = Counter()  # Message-ID -> times a crashed worker had it in flight
        self.case_ids: list[int] = []
        self.business_of: dict[str, int] = {}  # address -> case id

    # -- the world ---------------------------------------------------------------------------------------------

    @initialize(consents=st.lists(st.sampled_from([True, False]), min_size=CASES, max_size=CASES),
                mails=st.lists(st.tuples(st.integers(0, CASES - 1), st.integers(0, 4), st.booleans()),
                               min_size=2, max_size=8))
    def open_cases(self, consents: list[bool], mails: list[tuple[int, int, bool]]) -> None:
        """Three businesses with or without consent, and the first mails scheduled for them."""
        for i, consent in enumerate(consents):
            case = make_case(self.owner, name=f"Betrieb {self.example}-{i}")
            case.business.email = f"betrieb{self.example}-{i}@example.org"
            case.business.email_consent = consent
            db.session.commit()
            self.case_ids.append(case.id)
            self.business_of[case.business.email] = case.id
        for index, key, later in mails:
            self.schedule(index, key, later)

    def case(self, index: int) -> Case:
        return db.session.get(Case, self.case_ids[index])

    @rule(index=st.integers(0, CASES - 1), key=st.integers(0, 4), later=st.booleans())
    def schedule(self, index: int, key: int, later: bool) -> None:
        """As the rules do: queued only with consent, else not planned at all."""
        case = self.case(index)
        if refusal(case.business):
            return
        row = outbox.queue(recipient=case.business.email, audience="business", template_key="test",
                           due_at=utcnow() + (timedelta(minutes=30) if later else -timedelta(minutes=1)),
                           unique_key=f"prop:{self.example}:{case.id}:{key}", case_id=case.id,
                           source_state=case.state)
        if row is not None:  # prerendered: independent of the mail templates
            row.subject, row.body_text, row.body_html = f"Mail {key}", f"Text {key}\n", f"<p>Mail {key}</p>"
        db.session.commit()
        if row is not None:
            assert row.status == "pending"

    @precondition(lambda self: self.count("pending") > 0)
    @rule(index=st.integers(0, CASES - 1))
    def move(self, index: int) -> None:
        """Withdraw an open case or reopen a withdrawn one; leaving a state cancels its pending mails."""
        case = self.case(index)
        source = case.state
        target = workflow.INITIAL if source == workflow.WITHDRAWN else workflow.WITHDRAWN
        workflow.move(case, target, self.owner, reason="Test")
        db.session.commit()
        left = db.session.scalars(select(OutboxMessage).where(
            OutboxMessage.case_id == case.id, OutboxMessage.source_state == source,
            OutboxMessage.status == "pending")).all()
        assert left == []

    def count(self, status: str) -> int:
        return db.session.scalar(select(db.func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.status == status))

    @precondition(lambda self: self.count("pending") > 0)
    @rule(pick=st.integers(0, 50))
    def cancel(self, pick: int) -> None:
        """The lead cancels a pending mail on the outbox page."""
        pending = [row for row in _rows() if row.status == "pending"]
        if pending:
            outbox.cancel(pending[pick % len(pending)], "Von der Teamleitung storniert.")
            db.session.commit()

    @rule(index=st.integers(0, CASES - 1), change=st.sampled_from(["withdraw", "unsubscribe", "consent"]))
    def consent(self, index: int, change: str) -> None:
        """Consent withdrawn on the business form (queued mails stay queued: the dispatcher checks again),
        an unsubscribe (as the link does: recorded, and the business's pending mails cancelled), or consent
        given again (an unsubscribe stays)."""
        business = self.case(index).business
        if change == "unsubscribe":
            business.unsubscribed_at = utcnow()
            for row in db.session.scalars(select(OutboxMessage).where(
                    OutboxMessage.case_id == self.case_ids[index], OutboxMessage.status == "pending")):
                outbox.cancel(row, "Abgemeldet.")
        else:
            business.email_consent = change == "consent"
        db.session.commit()

    # -- the dispatcher ----------------------------------------------------------------------------------------

    @precondition(lambda self: self.count("pending") + self.count("sending") > 0)
    @rule(advance=st.sampled_from([timedelta(0), timedelta(minutes=2), timedelta(hours=3)]),
          replies=st.lists(st.sampled_from(list(REPLIES)), min_size=CASES, max_size=CASES))
    def tick(self, advance: timedelta, replies: list[str]) -> None:
        self.server.handler.reject.clear()
        for case_id, reply in zip(self.case_ids, replies, strict=True):
            if REPLIES[reply]:
                self.server.handler.reject[db.session.get(Case, case_id).business.email] = REPLIES[reply]
        _time_passes(advance)
        stats = dispatch.dispatch_once()
        for outcome in ("sent", "failed", "retried", "cancelled"):
            if getattr(stats, outcome):
                event(f"tick: {outcome}")
        self.check_received()

    @precondition(lambda self: self.count("pending") > 0)
    @rule(limit=st.integers(1, 4), recorded=st.integers(0, 3), in_flight=st.booleans())
    def crash(self, limit: int, recorded: int, in_flight: bool) -> None:
        """A worker claims a batch, sends `recorded` mails (committed), maybe one more whose result it never
        records, and dies. Its rows stay leased until the lease runs out."""
        token = outbox.new_token()
        ids = outbox.claim(limit, lease_seconds=300, token=token)
        if ids:
            claimed = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))
                                         .order_by(OutboxMessage.due_at, OutboxMessage.id)).all()
            ready = dispatch._prepare(claimed, token, dispatch.Stats())
            with db.engine.connect() as results, open_transport(current_app) as transport:
                for row in ready[:recorded]:
                    dispatch._send_one(transport, row, token, dispatch.Stats(), results)
                if in_flight and len(ready) > recorded:
                    row = ready[recorded]
                    try:
                        transport.send(mails.build(row))
                    except (PermanentFailure, TemporaryFailure):
                        pass  # refused: nothing arrived
                    else:
                        self.crash_sends[row.message_id] += 1
                        event("crash with a mail in flight")
            db.session.rollback()  # the process is gone: nothing more is recorded
        self.check_received()

    # -- what must always hold ---------------------------------------------------------------------------------

    def check_received(self) -> None:
        """Every mail that arrived since the last check went to a business that may receive mail now."""
        for message in self.server.messages[self.checked:]:
            case = db.session.get(Case, self.business_of[message["To"]])
            db.session.refresh(case.business)
            assert case.business.email_consent, f"sent without consent: {message['To']}"
            assert case.business.unsubscribed_at is None, f"sent after unsubscribing: {message['To']}"
        self.checked = len(self.server.messages)

    @invariant()
    def sent_once_outside_the_in_flight_window(self) -> None:
        received = Counter(m["Message-ID"] for m in self.server.messages)
        rows = {row.message_id: row for row in _rows()}
        assert set(received) <= set(rows), "a mail arrived that is not in the outbox"
        for message_id, row in rows.items():
            assert row.status in OUTBOX_STATUSES
            assert (row.lease_until is not None) == (row.status == "sending")
            allowed = self.crash_sends[message_id] + (1 if row.status == "sent" else 0)
            assert received[message_id] <= allowed, f"{row.status} row {row.id} arrived {received[message_id]}x"
            if row.status == "sent":
                assert received[message_id] >= 1 and row.sent_at is not None

    def teardown(self) -> None:
        """No more crashes or refusals; time moves on and the dispatcher ticks until nothing is left."""
        self.server.handler.reject.clear()
        for _ in range(10):
            if all(row.status in FINAL for row in _rows()):
                break
            _time_passes(timedelta(hours=3))
            dispatch.dispatch_once()
        received = Counter(m["Message-ID"] for m in self.server.messages)
        if any(count > 1 for count in received.values()):
            event("a crashed in-flight mail arrived twice")
        self.check_received()
        self.sent_once_outside_the_in_flight_window()
        left = [(row.id, row.status) for row in _rows() if row.status not in FINAL]
        assert left == [], f"rows not in a final state: {left}"


def test_outbox_state_machine(app, users, smtp_server):
    OutboxMachine.server, OutboxMachine.owner = smtp_server, users["scout"]
    # No shrinking by default: each step talks to the database and the SMTP server, so shrinking a failure
    # takes minutes; the failing steps are printed as they are. HYPOTHESIS_SHRINK=1 shrinks them.
    phases = [Phase.explicit, Phase.reuse, Phase.generate]
    if os.environ.get("HYPOTHESIS_SHRINK"):
        phases.append(Phase.shrink)
    run_state_machine_as_test(OutboxMachine, settings=settings(
        max_examples=25, stateful_step_count=20, deadline=None, database=None, phases=phases,
        suppress_health_check=[HealthCheck.too_slow]))

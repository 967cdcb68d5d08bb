"""Bulk cases for benchmarks: many businesses and cases, each with the records its state implies.

A case in "check done" or later has a completed first check (answers, scores, score rows and the case's
summary), a case that attended a workshop has an attendance, a referred one a referral, an implemented one
an implemented measure (and ~30% of them a completed re-check); open reminders keep next_due_at, a share of
the cases has the mails its follow-up rules queued (sent, failed, pending or cancelled as the rules and the
business's consent make them), and the timeline has the entries the services write for all of it.

The rows bypass the ORM on purpose, they only have to be many and fast: tuples written per chunk of cases
(bounded memory) by DBAPI executemany on SQLite and COPY on PostgreSQL. The figures still come from the
app's own code: every check is scored by app.checks.scoring from a pool of answer sets, its score rows and the
case summaries come from app.checks.summary, and the read models (pipeline counts, programme sums) are rebuilt
at the end.
"""

import bisect
import html
import json
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate
from typing import Any

from flask import current_app
from flask_babel import get_translations
from flask_babel import gettext as _
from sqlalchemy import func, select, text

from app.cases import activity, consents, readmodel, workflow
from app.cases.models import Business, Case, CaseEvent, Measure
from app.chamber import chamber_name
from app.checks import answers as ans
from app.checks import change_days, figures, gaps
from app.checks import questionnaire as qn
from app.checks.models import FIRST, RECHECK, Check
from app.checks.scoring import score
from app.checks.summary import Completed, score_rows, summarise
from app.demo import PLACES, WITHDRAW_REASONS, WORKSHOPS, _Region, ensure_accounts
from app.extensions import db
from app.partners.models import Partner, Referral
from app.reference.models import Topic
from app.reports import milestones as funnel_milestones
from app.reports import support
from app.scheduling.calendar import add_business_days
from app.scheduling.models import FollowUpRule, OutboxMessage, Reminder
from app.timeutil import BERLIN, utcnow
from app.workshops.models import Attendance, Workshop

BULK_STATES = {"contacted": 35, "check_done": 20, "workshop_attended": 10, "referred": 12, "implemented": 13,
               "withdrawn": 10}
BULK_NOTES = ("Erstgespräch am Telefon, Interesse am Check.", "Rückruf vereinbart.", "Infomaterial per E-Mail.")
# The records (steps) that lead to each final state, with how often each way is taken.
PATHS = {
    "contacted": (((), 1),),
    "check_done": ((("check",), 1),),
    "workshop_attended": ((("check", "workshop"), 1),),
    "referred": ((("check", "referral"), 3), (("check", "workshop", "referral"), 2)),
    "implemented": ((("check", "measure"), 4), (("check", "referral", "measure"), 4),
                    (("check", "workshop", "measure"), 2), (("check", "workshop", "referral", "measure"), 1)),
    "withdrawn": ((("withdraw",), 5), (("check", "withdraw"), 4), (("check", "referral", "withdraw"), 1)),
}
STEP_STATE = {"check": "check_done", "workshop": "workshop_attended", "referral": "referred",
              "measure": "implemented", "withdraw": "withdrawn"}
RECHECK_SHARE = 0.3  # of the implemented cases
REMINDER_SHARE = 0.6  # of the open cases: with an open reminder (and so a next due date)
SECOND_REMINDER_SHARE = 0.15  # of those: a second one set by hand
MAIL_SHARE = 0.15  # of the cases: their follow-up mails are in the outbox (a national outbox stays ~300k rows)
FAILED_SHARE = 0.04  # of the mails that fell due
PROFILES = 400  # answer sets the checks are drawn from
MANUAL_TITLES = (
    "Rückruf: Termin für den Check bestätigen", "Angebot des IT-Dienstleisters nachfragen",
    "Unterlagen zur E-Rechnung schicken", "Nachfragen, ob der Förderantrag gestellt ist",
    "Ergebnis des Partnergesprächs erfragen", "Fragen zur digitalen Zeiterfassung klären",
)
REFERRAL_NOTE = "Betrieb ist mit der Weitergabe der Kontaktdaten einverstanden."
SMTP_ERRORS = ("550 5.1.1 <{to}>: Recipient address rejected: User unknown",
               "552 5.2.2 Mailbox full", "554 5.7.1 Message rejected as spam")
BULK_WORKSHOP_DAYS = (-320, -260, -200, -140, -80, -35, -10, 14, 45)  # days from today

# Subject and text of the follow-up mails as the dispatcher renders them (shortened; {…} filled per mail).
MAIL_TEXTS = {
    "check_results": ("Ihr Ergebnis im Digitalisierungscheck – {chamber}",
                      "vielen Dank, dass Sie sich Zeit für den Digitalisierungscheck genommen haben. Hier ist Ihr "
                      "Ergebnis.\n\nGesamtergebnis: {overall} von 100 Punkten\nReifegrad: {level} von 5 – "
                      "„{level_name}“\n\nIhr Prozessscout bespricht das Ergebnis gern persönlich mit Ihnen."),
    "workshop_suggestions": ("Workshops für Ihren nächsten Digitalisierungsschritt – {chamber}",
                             "im Digitalisierungscheck hat sich bei Ihnen dieses Handlungsfeld als nächster "
                             "Schritt gezeigt: „{weakest}“.\n\nDie Teilnahme an unseren Workshops ist kostenlos. "
                             "Zur Anmeldung antworten Sie einfach auf diese E-Mail."),
    "workshop_thanks": ("Danke für Ihre Teilnahme am Workshop – {chamber}",
                        "vielen Dank für Ihre Teilnahme am Workshop. Wir hoffen, Sie haben Anregungen für Ihren "
                        "Betrieb mitgenommen.\n\nIhre nächsten Schritte: Wählen Sie eine Idee aus dem Workshop, "
                        "die Sie in den nächsten Wochen ausprobieren."),
    "referral_info": ("Ihr Kontakt für den nächsten Schritt – {chamber}",
                      "wie mit Ihnen besprochen, haben wir Ihr Anliegen an diesen Partner aus der Region "
                      "weitergegeben:\n\n{partner}\n  Thema: {topic}\n\nWenn es nicht weitergeht, antworten Sie "
                      "einfach auf diese E-Mail."),
    "referral_partner": ("Vermittlung: {business} – {topic}",
                         "im Digitalisierungsprogramm {chamber.genitive} vermitteln wir Ihnen einen Handwerksbetrieb, "
                         "der Unterstützung zum Thema „{topic}“ sucht.\n\nBetrieb: {business}\nAnsprechperson: "
                         "{contact}\nE-Mail: {email}"),
    "how_is_it_going": ("Wie läuft es mit Ihrem Digitalisierungsvorhaben? – {chamber}",
                        "vor einigen Wochen haben wir Sie an „{partner}“ vermittelt. Wie läuft es mit Ihrem "
                        "Vorhaben?\n\nSie können einfach auf diese E-Mail antworten."),
    "recheck_invitation": ("Einladung zum Re-Check: Was hat sich getan? – {chamber}",
                           "wir laden Sie herzlich zu einem kostenlosen Re-Check ein. Mit denselben Fragen wie "
                           "beim ersten Digitalisierungscheck sehen Sie, wie weit Sie gekommen sind."),
}


@dataclass(frozen=True)
class _Profile:
    """One answer set of the pool, scored by the app: what a check row, its score rows and the records that
    follow from it need."""

    answers: str  # JSON
    scores: str  # JSON
    overall: float | None
    level: int | None
    rows: tuple[tuple[str, float | None], ...]  # app.checks.summary.score_rows
    completion: str  # the timeline text
    weakest: qn.Dimension
    measure: tuple[str, str | None]  # description, topic key


def _profiles(rng: random.Random, q: qn.Questionnaire, texts: dict[str, str]) -> list[tuple[_Profile, _Profile]]:
    """Pairs (first check, a re-check with somewhat higher implementation) of answer sets."""
    relevance = [o.value for o in q.relevance_scale if o.value is not None]

    def profile(implementation: dict[str, int], rates: dict[str, int]) -> _Profile:
        answers = ({key: {ans.IMPLEMENTATION: value, ans.RELEVANCE: rates[key]}
                    for key, value in implementation.items()} if q.rates_relevance else dict(implementation))
        result = score(q, answers)
        weakest = min(q.dimensions, key=lambda d: result.dimensions[d.key] if result.dimensions[d.key] is not None
                      else 101)
        item = min(weakest.items, key=lambda i: implementation[i.key])
        description = rng.choice(item.measures) if item.measures else weakest.name
        if result.overall is None:
            completion = texts["check_no_score"]
        else:
            completion = texts["check"] % dict(score=_decimal(result.overall), level=result.level,
                                               name=q.level_name(result.level))
        return _Profile(json.dumps(answers), json.dumps(result.dimensions), result.overall, result.level,
                        tuple(score_rows(q.version, result.dimensions)), completion, weakest,
                        (description, item.topics[0] if item.topics else None))

    pairs = []
    for _i in range(PROFILES):
        affinity = rng.uniform(0.4, 3.2)  # how digital this business already is
        first = {item.key: min(q.max_value, max(0, round(rng.gauss(affinity, 0.9)))) for item in q.items}
        later = {key: min(q.max_value, value + (rng.random() < 0.5)) for key, value in first.items()}
        rates = {item.key: rng.choice(relevance) for item in q.items} if relevance else {}
        pairs.append((profile(first, rates), profile(later, rates)))
    return pairs


def _decimal(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


class _Sink:
    """Writes rows (tuples in column order) to a table in the session's transaction: COPY on PostgreSQL,
    DBAPI executemany on SQLite. Values are given as the database stores them (see `stamp`, `flag`)."""

    def __init__(self) -> None:
        self.connection = db.session.connection()
        self.postgres = self.connection.dialect.name == "postgresql"
        self.flag: Callable[[bool], Any] = bool if self.postgres else int

    def stamp(self, moment: datetime | None) -> Any:
        """An aware UTC time as stored: as is on PostgreSQL, SQLAlchemy's naive text on SQLite."""
        if moment is None or self.postgres:
            return moment
        return moment.isoformat(" ", "microseconds")[:26]

    def day(self, day: date) -> Any:
        return day if self.postgres else day.isoformat()

    def write(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        if not rows:
            return
        names = ", ".join(columns)
        if self.postgres:
            raw = self.connection.connection.driver_connection
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(columns))
            self.connection.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)


class _Ids:
    """The next explicit id of each table (after what is there already)."""

    def __init__(self, models: Iterable[Any]) -> None:
        self.next = {m.__tablename__: (db.session.scalar(select(func.max(m.id))) or 0) + 1 for m in models}

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


COLUMNS = {
    "businesses": ("id", "name", "trade_id", "register_number", "street", "postcode", "municipality_id",
                   "contact_name", "phone", "email", "employees", "email_consent", "consent_at", "consent_source",
                   "created_at"),
    "cases": ("id", "business_id", "owner_id", "state", "opened_at", "closed_at", "state_changed_at", "next_due_at",
              "version"),
    "checks": ("id", "case_id", "questionnaire_version", "kind", "status", "answers", "current_step", "scores",
               "overall_score", "level", "created_by_id", "started_at", "completed_at"),
    "check_scores": ("check_id", "dimension", "score"),
    "case_check_summary": ("case_id", "questionnaire_version", "t0_check_id", "t0_overall", "t1_check_id",
                           "t1_overall", "rechecks"),
    "attendances": ("id", "workshop_id", "case_id", "recorded_by_id", "recorded_at"),
    "referrals": ("id", "case_id", "partner_id", "topic_id", "consent", "note", "created_by_id", "created_at"),
    "measures": ("id", "case_id", "topic_id", "description", "status", "implemented_on", "created_by_id",
                 "created_at"),
    "reminders": ("id", "case_id", "assignee_id", "due_at", "title", "state", "rule_id", "created_by_id",
                  "source_state", "until_answer", "unique_key", "created_at", "close_reason"),
    "outbox": ("id", "recipient", "audience", "subject", "body_text", "body_html", "template_key", "context",
               "case_id", "rule_id", "source_state", "due_at", "status", "attempts", "last_error", "lease_until",
               "lease_token", "first_attempt_at", "sent_at", "message_id", "unique_key", "created_at"),
    "case_events": ("id", "case_id", "kind", "actor_id", "from_state", "to_state", "text", "data", "created_at"),
}
MODELS = (Business, Case, Check, Attendance, Referral, Measure, Reminder, OutboxMessage, CaseEvent)


@lru_cache(maxsize=4096)
def _business_days(day: date, days: int) -> datetime:
    return add_business_days(datetime.combine(day, time(12), BERLIN), days).astimezone(UTC)


def _due(start: datetime, days: int) -> datetime:
    """app.scheduling.calendar.add_business_days, cached by day (0 days: the start itself)."""
    return start if days <= 0 else _business_days(start.astimezone(BERLIN).date(), days)


class _Seeder:
    def __init__(self, n: int, rng: random.Random) -> None:
        self.n, self.rng, self.now = n, rng, utcnow()
        self.sink = _Sink()
        self.region = _Region(rng)
        self.owners = [u.id for u in ensure_accounts().values() if u.role == "scout"]
        self.questionnaire = q = qn.load()
        self.texts = self._texts(q)
        self.profiles = _profiles(rng, q, self.texts)
        self.review_step = len(q.dimensions) + 1
        self.ids = _Ids(MODELS)
        self.topics = {t.key: t for t in db.session.scalars(select(Topic))}
        self.partners = list(db.session.scalars(select(Partner).where(Partner.active).order_by(Partner.id)))
        self.workshops = self._workshops()
        self.past_workshops = [w for w in self.workshops if w[1] < self.now]
        self.workshop_starts = [w[1] for w in self.past_workshops]
        rules = db.session.scalars(select(FollowUpRule).where(FollowUpRule.active.is_(True))
                                   .order_by(FollowUpRule.id))
        self.rules: dict[str, list[FollowUpRule]] = {}
        for rule in rules:
            self.rules.setdefault(rule.state, []).append(rule)
        config = current_app.config
        self.chamber = chamber_name(config)
        self.signature = config["CHAMBER_SIGNATURE"]
        self.domain = config["MAIL_DEFAULT_SENDER"].rsplit("@", 1)[-1].strip("> ") or "procheck.invalid"
        self.scouts = {u.id: u for u in ensure_accounts().values()}
        self.referral_choices: dict[str, list[tuple[Partner, Topic]]] = {}
        self.paths = {state: ([p for p, _w in ways], list(accumulate(w for _p, w in ways)))
                      for state, ways in PATHS.items()}

    def _texts(self, q: qn.Questionnaire) -> dict[str, Any]:
        """The timeline texts in the app's language, from its own catalogue (%-formatted per row)."""
        raw = get_translations().gettext
        implemented = _("implemented").replace("%", "%%")
        return {
            "check": raw("Digitalisation check completed: %(score)s of 100 points, maturity level %(level)d "
                         "(%(name)s)."),
            "check_no_score": _("Digitalisation check completed without a score (every answer was “no answer”)."),
            "change": raw("Change since the first check: %(change)s points."),
            "workshop": raw("Attended the workshop “%(title)s” on %(date)s."),
            "referral": raw("Referred to %(partner)s for “%(topic)s”."),
            "measure": raw("Measure (%(status)s): %(description)s").replace("%(status)s", implemented) + " "
            + raw("Implemented on %(date)s."),
            "left": {state: _("The case left “%(state)s”.", state=workflow.state_label(state))
                     for state in workflow.STATES},
            "no_consent": _("The business has not consented to emails."),
        }

    def _workshops(self) -> list[tuple[int, datetime, str]]:
        """A few workshops over the year (id, start, title), written now."""
        keys = [key for _title, key, _days in WORKSHOPS if key in self.topics]
        titles = {key: title for title, key, _days in WORKSHOPS}
        if not keys:
            return []
        made = []
        for number, days in enumerate(BULK_WORKSHOP_DAYS):
            key = keys[number % len(keys)]
            day = (self.now.astimezone(BERLIN) + timedelta(days=days)).date()
            starts = datetime.combine(day, time(17, 0), tzinfo=BERLIN).astimezone(UTC)
            workshop = Workshop(title=titles[key], topic_id=self.topics[key].id, topics=[self.topics[key]],
                                starts_at=starts,
                                place=PLACES[number % len(PLACES)],
                                description="Erfahrungsaustausch unter Betrieben mit einem kurzen Impulsvortrag.")
            db.session.add(workshop)
            made.append(workshop)
        db.session.flush()
        return [(w.id, w.starts_at, w.title) for w in made]

    def _referral_choice(self, profile: _Profile) -> tuple[Partner, Topic] | None:
        """A partner with expertise in the weakest dimension's topics, as the demo's scouts choose."""
        key = profile.weakest.key
        if key not in self.referral_choices:
            wanted = set(profile.weakest.topics)
            partners = [p for p in self.partners if wanted & {t.key for t in p.topics}] or self.partners
            self.referral_choices[key] = [
                (p, t) for p in partners for t in ([t for t in p.topics if t.key in wanted] or p.topics)]
        choices = self.referral_choices[key]
        return self.rng.choice(choices) if choices else None

    # --- one chunk of cases -----------------------------------------------------------------------------------

    def chunk(self, start: int, stop: int) -> None:
        self.rows: dict[str, list[tuple]] = {table: [] for table in COLUMNS}
        self.serialised: dict[tuple, str] = {}
        for i in range(start, stop):
            self.case(i)
        for table, columns in COLUMNS.items():  # parents first: the order of COLUMNS
            self.sink.write(table, columns, self.rows[table])

    def event(self, case_id: int, kind: str, actor: int | None, when: datetime, text_: str = "",
              source: str | None = None, target: str | None = None, **data: Any) -> None:
        if kind in FEW_DATA:  # most entries carry one of a few data dicts: serialise each once
            key = (kind, *data.items())
            data_ = self.serialised.get(key) or self.serialised.setdefault(key, json.dumps(data))
        else:
            data_ = json.dumps(data)
        self.rows["case_events"].append((self.ids.take("case_events"), case_id, kind, actor, source, target, text_,
                                         data_, self.sink.stamp(when)))

    def case(self, i: int) -> None:
        rng, sink, ids, now = self.rng, self.sink, self.ids, self.now
        # Opened over the last 300 days in id order, so "newest first" by id is also by date.
        opened = now - timedelta(days=300 * (1 - i / self.n) + rng.random())
        state = rng.choices(STATES, cum_weights=STATE_WEIGHTS)[0]
        ways, weights = self.paths[state]
        steps = ways[0] if len(ways) == 1 else rng.choices(ways, cum_weights=weights)[0]
        if "workshop" in steps and not self.past_workshops:
            steps = tuple(step for step in steps if step != "workshop") or ("check",)
        owner = self.owners[i % len(self.owners)]
        business_id, case_id = ids.take("businesses"), ids.take("cases")
        business = self.region.business(opened)
        consent = business["email_consent"]
        self.rows["businesses"].append((
            business_id, business["name"], business["trade_id"], business["register_number"], business["street"],
            business["postcode"], business["municipality_id"], business["contact_name"], business["phone"],
            business["email"], business["employees"], sink.flag(consent), sink.stamp(business["consent_at"]),
            business["consent_source"], sink.stamp(opened)))
        self.event(case_id, "opened", owner, opened, target="contacted")
        if rng.random() < 0.5:
            self.event(case_id, "note", owner, opened + timedelta(hours=1), rng.choice(BULK_NOTES), channel="call")
        # The steps at sorted random times between opening and now; the last is the last state change.
        span = (now - opened).total_seconds() - 7200
        moments = sorted(opened + timedelta(seconds=7200 + span * rng.random()) for _step in steps)
        mails = rng.random() < MAIL_SHARE
        profile = recheck = referral = None
        current, entered = "contacted", opened
        visits: list[tuple[str, datetime, datetime | None]] = []  # state, entered, left
        for step, when in zip(steps, moments, strict=True):
            target = STEP_STATE[step]
            if step == "check":
                profile, recheck = self.profiles[rng.randrange(PROFILES)]
                self.check(case_id, owner, profile, FIRST, when)
            elif step == "workshop":
                self.attend(case_id, owner, when)
            elif step == "referral":
                referral = self.refer(case_id, owner, profile, when)
            elif step == "measure":
                self.measure(case_id, owner, profile, when)
            moved = when + timedelta(minutes=1)
            kind = "withdraw" if step == "withdraw" else "forward"
            reason = rng.choice(WITHDRAW_REASONS) if step == "withdraw" else ""
            visits.append((current, entered, moved))
            self.event(case_id, "moved", owner, moved, reason, current, target, move=kind)
            current, entered = target, moved
        visits.append((current, entered, None))
        changed = entered
        summary = None
        if profile is not None:
            completed = [Completed(self.last_check, FIRST, self.questionnaire.version, profile.overall)]
            if state == "implemented" and rng.random() < RECHECK_SHARE:
                when = changed + (now - changed) * (0.2 + 0.7 * rng.random())
                self.check(case_id, owner, recheck, RECHECK, when, first=profile)
                completed.append(Completed(self.last_check, RECHECK, self.questionnaire.version, recheck.overall))
            summary = summarise(case_id, completed)
            self.rows["case_check_summary"].append(tuple(summary[c] for c in COLUMNS["case_check_summary"]))
        if mails:
            self.mail(case_id, owner, business, visits, profile, referral)
        next_due = self.remind(case_id, owner, current, changed) if current in workflow.OPEN_STATES else None
        self.rows["cases"].append((
            case_id, business_id, owner, state, sink.stamp(opened),
            sink.stamp(changed) if state == "withdrawn" else None, sink.stamp(changed), sink.stamp(next_due),
            1 + len(steps)))

    def check(self, case_id: int, owner: int, profile: _Profile, kind: str, when: datetime,
              first: _Profile | None = None) -> None:
        check_id = self.last_check = self.ids.take("checks")
        sink = self.sink
        self.rows["checks"].append((
            check_id, case_id, self.questionnaire.version, kind, "completed", profile.answers, self.review_step,
            profile.scores, profile.overall, profile.level, owner, sink.stamp(when - timedelta(hours=1)),
            sink.stamp(when)))
        self.rows["check_scores"].extend((check_id, key, value) for key, value in profile.rows)
        text_ = profile.completion
        if first is not None and first.overall is not None and profile.overall is not None:
            change = round(profile.overall - first.overall, 1)
            signed = ("+" if change > 0 else "−" if change < 0 else "±") + _decimal(abs(change))
            text_ += " " + self.texts["change"] % dict(change=signed)
        self.event(case_id, "check_completed", owner, when, text_, check_id=check_id, overall=profile.overall,
                   level=profile.level)

    def attend(self, case_id: int, owner: int, when: datetime) -> None:
        index = bisect.bisect_right(self.workshop_starts, when) - 1
        workshop_id, starts, title = self.past_workshops[max(index, 0)]
        attendance_id = self.ids.take("attendances")
        self.rows["attendances"].append((attendance_id, workshop_id, case_id, owner, self.sink.stamp(when)))
        text_ = self.texts["workshop"] % dict(title=title, date=f"{starts.astimezone(BERLIN):%d.%m.%Y}")
        self.event(case_id, "workshop_attended", owner, when, text_, attendance_id=attendance_id,
                   workshop_id=workshop_id)

    def refer(self, case_id: int, owner: int, profile: _Profile, when: datetime) -> tuple[int, Partner, Topic] | None:
        choice = self._referral_choice(profile)
        if choice is None:
            return None
        partner, topic = choice
        referral_id = self.ids.take("referrals")
        self.rows["referrals"].append((referral_id, case_id, partner.id, topic.id, self.sink.flag(True),
                                       REFERRAL_NOTE, owner, self.sink.stamp(when)))
        self.event(case_id, "referral", owner, when, self.texts["referral"] % dict(partner=partner.name,
                                                                                   topic=topic.name),
                   referral_id=referral_id, partner_id=partner.id, topic_id=topic.id)
        return referral_id, partner, topic

    def measure(self, case_id: int, owner: int, profile: _Profile, when: datetime) -> None:
        description, key = profile.measure
        topic = self.topics.get(key) if key else None
        measure_id = self.ids.take("measures")
        day = when.astimezone(BERLIN).date()
        self.rows["measures"].append((measure_id, case_id, topic.id if topic else None, description, "implemented",
                                      self.sink.day(day), owner, self.sink.stamp(when)))
        text_ = self.texts["measure"] % dict(description=description, date=f"{day:%d.%m.%Y}")
        self.event(case_id, "measure_recorded", owner, when, text_, measure_id=measure_id, status="implemented",
                   topic_id=topic.id if topic else None)

    def remind(self, case_id: int, owner: int, state: str, changed: datetime) -> datetime | None:
        """Open reminders of an open case (owned by its owner); returns the earliest due time (next_due_at)."""
        rng, now = self.rng, self.now
        if rng.random() >= REMINDER_SHARE:
            return None
        dues = []
        rule = next((r for r in self.rules.get(state, ()) if r.action == "reminder"), None)
        for number in range(2 if rng.random() < SECOND_REMINDER_SHARE else 1):
            due = max(now + timedelta(days=rng.uniform(-20, 30)), changed + timedelta(hours=2))
            due = due.replace(minute=0, second=0, microsecond=0)
            reminder_id = self.ids.take("reminders")
            if number == 0 and rule is not None and rng.random() < 0.5:
                # The rule's reminder of the current state (perhaps snoozed since): made by the move, no entry.
                row = (reminder_id, case_id, owner, self.sink.stamp(due), rule.title, "open", rule.id, None, state,
                       self.sink.flag(rule.until_answer),
                       f"rule:{rule.id}:case:{case_id}:at:{changed.isoformat()}", self.sink.stamp(changed), "")
            else:
                created = max(changed + timedelta(hours=1), min(due, now) - timedelta(days=rng.uniform(2, 9)))
                created = min(created, now)
                title = rng.choice(MANUAL_TITLES)
                row = (reminder_id, case_id, owner, self.sink.stamp(due), title, "open", None, owner, None,
                       self.sink.flag(False), None, self.sink.stamp(created), "")
                self.event(case_id, "reminder_created", owner, created,
                           f"{title} (fällig {due.astimezone(BERLIN):%d.%m.%Y %H:%M})", reminder_id=reminder_id,
                           due_at=due.isoformat(), assignee_id=owner)
            self.rows["reminders"].append(row)
            dues.append(due)
        return min(dues)

    def mail(self, case_id: int, owner: int, business: dict, visits: list, profile: _Profile | None,
             referral: tuple[int, Partner, Topic] | None) -> None:
        """The mails the follow-up rules queued on each state the case entered, as they stand now."""
        rng, sink, now = self.rng, self.sink, self.now
        scout = self.scouts[owner]
        greeting = f"Guten Tag {business['contact_name']}," if business["contact_name"] else "Guten Tag,"
        for state, entered, left in visits:
            cancelled_on_leaving = 0
            for rule in self.rules.get(state, ()):
                if rule.action == "reminder":
                    continue
                partner = rule.action == "email_partner"
                if partner and (referral is None or not referral[1].email):
                    continue
                due = _due(entered, rule.delay_days)
                fields = dict(chamber=self.chamber, business=business["name"], contact=business["contact_name"],
                              email=business["email"] or "–", weakest=profile.weakest.name if profile else "",
                              overall=_decimal(profile.overall) if profile and profile.overall is not None else "–",
                              level=profile.level if profile else "–",
                              level_name=self.questionnaire.level_name(profile.level) if profile else "",
                              partner=referral[1].name if referral else "", topic=referral[2].name if referral else "")
                context: dict[str, Any] = {"case_id": case_id}
                if partner:
                    recipient, audience = referral[1].email, "partner"
                    unique = f"rule:{rule.id}:referral:{referral[0]}"
                    context["referral_id"] = referral[0]
                else:
                    recipient, audience = business["email"] or "-", "business"
                    unique = f"rule:{rule.id}:case:{case_id}"
                subject = body = page = error = ""
                attempts, first_attempt = 0, None
                if audience == "business" and not business["email_consent"]:  # not planned at all, as the rules do
                    self.event(case_id, "email_cancelled", None, entered, self.texts["no_consent"],
                               template=rule.template_key)
                    continue
                if due <= (left or now):
                    status = "failed" if rng.random() < FAILED_SHARE else "sent"
                    first_attempt = due + timedelta(seconds=rng.randint(20, 90))
                    context["reply_to"] = scout.email
                    template_subject, template_body = MAIL_TEXTS.get(rule.template_key, ("{chamber}", ""))
                    subject = template_subject.format(**fields)
                    body = (f"{'Guten Tag,' if partner else greeting}\n\n{template_body.format(**fields)}\n\n"
                            f"Mit freundlichen Grüßen\n\n{self.signature}\nIhr Prozessscout: {scout.name}, "
                            f"{scout.email}\n")
                    page = f"<html><body><pre>{html.escape(body)}</pre></body></html>"
                    if status == "failed":
                        attempts, error = 5, rng.choice(SMTP_ERRORS).format(to=recipient)
                    else:
                        attempts = 1
                elif left is None:
                    status = "pending"  # rendered when the dispatcher first sends it
                else:
                    status, error = "cancelled", self.texts["left"][state]
                    cancelled_on_leaving += 1
                mail_id = self.ids.take("outbox")
                self.rows["outbox"].append((
                    mail_id, recipient, audience, subject, body, page, rule.template_key, json.dumps(context),
                    case_id, rule.id, state, sink.stamp(due), status, attempts, error, None, None,
                    sink.stamp(first_attempt), sink.stamp(first_attempt) if status == "sent" else None,
                    f"<bulk.{mail_id}.{rng.getrandbits(40)}.procheck@{self.domain}>", unique, sink.stamp(entered)))
            if cancelled_on_leaving:
                self.event(case_id, "follow_ups_cancelled", None, left, self.texts["left"][state],
                           count=cancelled_on_leaving)


FEW_DATA = {"opened", "note", "moved"}
STATES, STATE_WEIGHTS = workflow.known_states(BULK_STATES), list(accumulate(BULK_STATES.values()))
SEQUENCED = ("businesses", "cases", "checks", "attendances", "referrals", "measures", "reminders", "outbox",
             "case_events", "workshops")


def seed_bulk(n: int, chunk_size: int = 5000) -> int:
    """Insert n businesses, each with a case in a random state and the records that state implies (benchmarks).

    Runs in the caller's transaction; the read models are rebuilt at the end.
    """
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA cache_size=-262144")  # 256 MiB of pages while the indexes grow
        if not connection.connection.driver_connection.in_transaction:  # may not change inside one
            connection.exec_driver_sql("PRAGMA synchronous=OFF")  # a bench database: a crash costs a re-seed
    seeder = _Seeder(n, random.Random(42))
    for start in range(0, n, chunk_size):
        seeder.chunk(start, min(n, start + chunk_size))
    if seeder.sink.postgres:  # explicit ids leave the sequences behind
        for table in SEQUENCED:
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"))
    # The bulk insert bypassed the case hooks and the completions: rebuild the read models they keep.
    readmodel.rebuild()
    activity.backfill(db.session.connection())
    figures.rebuild(db.session.connection())
    change_days.rebuild(db.session.connection())
    gaps.rebuild(db.session.connection())
    funnel_milestones.rebuild()
    support.rebuild()
    consents.record_bulk_consents()
    return n

"""Demo data: accounts, ~200 businesses of the region and cases in every state (bulk cases: app.demo_bulk).

The demo cases go through the real state machine (with the check, attendance, referral and
measure each guard needs) and are then backdated, so their timelines look like ten months of work;
what the follow-up rules made for them is backdated and played forward too (app.demo_followups).
"""

import random
import re
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate

from sqlalchemy import select, update

from app.auth.models import User
from app.auth.passwords import hash_password
from app.cases import consents, measures, workflow
from app.cases.models import Business, Case, CaseEvent, Measure
from app.cases.services import add_event
from app.cases.vocab import MeasureStatus
from app.checks import answers as ans
from app.checks import questionnaire as qn
from app.checks import services as checks
from app.demo_followups import FollowUpClock, keep_some_mails_due
from app.extensions import db
from app.partners import services as partners
from app.partners.models import Partner, Referral
from app.reference.models import Municipality, Topic, Trade
from app.timeutil import BERLIN, today_berlin, utcnow
from app.workshops import attendance as workshops
from app.workshops.models import Attendance, Workshop

DEMO_PASSWORD = "procheck-demo"
ACCOUNTS = (
    ("leitung@example.org", "Lena Leitner", "lead"),
    ("scout1@example.org", "Sina Schulte", "scout"),
    ("scout2@example.org", "Tarek Yilmaz", "scout"),
    ("admin@example.org", "Jonas Albers", "admin"),
)
SURNAMES = (
    "Kowalski", "Brinkmann", "Overkamp", "Hoffmann", "Wessels", "Tenhagen", "Nowak", "Becker", "Wiesmann", "Lammers",
    "Hülsmann", "Terhorst", "Krüger", "Schäfer", "Öztürk", "Wójcik", "Janssen", "Bücker", "Kemper", "Rademacher",
    "Pieper", "Lindemann", "Brüggemann", "Sandmann", "Wolters", "Heitkamp", "Bergmann", "Gerdes", "Droste",
    "Kuhlmann", "Niehues", "Tebbe", "Schmitz", "Voss", "Kamps", "Demir", "Sommer", "Kaya",
)
FIRST_NAMES = (
    "Andreas", "Birgit", "Claudia", "Dirk", "Elke", "Frank", "Gabriele", "Heiko", "Ina", "Jörg", "Katrin", "Lars",
    "Martina", "Nils", "Olga", "Petra", "Ralf", "Sabine", "Thomas", "Ute", "Volker", "Wiebke", "Yusuf", "Zeynep",
    "Marek", "Agnieszka", "Stefan", "Melanie",
)
# Trade (Handwerksordnung) -> how such a business calls itself, and how common it is.
TRADE_WORDS = {
    "Elektrotechniker": ("Elektro", 9), "Installateur und Heizungsbauer": ("Haustechnik", 9),
    "Tischler": ("Tischlerei", 7), "Maler und Lackierer": ("Malerbetrieb", 7), "Dachdecker": ("Dachdeckerei", 5),
    "Kraftfahrzeugtechniker": ("Autowerkstatt", 7), "Bäcker": ("Bäckerei", 5), "Friseure": ("Friseursalon", 6),
    "Fleischer": ("Fleischerei", 3), "Konditoren": ("Konditorei", 2), "Metallbauer": ("Metallbau", 4),
    "Zimmerer": ("Zimmerei", 3), "Maurer und Betonbauer": ("Bauunternehmung", 4), "Augenoptiker": ("Optik", 2),
    "Hörakustiker": ("Hörakustik", 1), "Zahntechniker": ("Dentallabor", 2), "Glaser": ("Glaserei", 2),
    "Fliesen-, Platten- und Mosaikleger": ("Fliesenfachbetrieb", 3), "Gebäudereiniger": ("Gebäudereinigung", 3),
    "Raumausstatter": ("Raumausstattung", 2), "Steinmetzen und Steinbildhauer": ("Steinmetzbetrieb", 1),
    "Informationstechniker": ("IT-Service", 2), "Karosserie- und Fahrzeugbauer": ("Karosseriebau", 2),
    "Orthopädieschuhmacher": ("Orthopädieschuhtechnik", 1), "Gold- und Silberschmiede": ("Goldschmiede", 1),
    "Parkettleger": ("Parkett", 1), "Rollladen- und Sonnenschutztechniker": ("Rollladenbau", 1),
}
NAME_PATTERNS = ("{w} {s}", "{w} {s} GmbH", "{w} {s} e.K.", "{s} {w} GmbH & Co. KG", "{w} {f} {s}")
# Dialling codes of the region; a 0 after the code never reaches a real subscriber.
AREA_CODES = {
    "Recklinghausen": "02361", "Castrop-Rauxel": "02305", "Datteln": "02363", "Dorsten": "02362",
    "Gladbeck": "02043", "Haltern am See": "02364", "Herten": "02366", "Marl": "02365",
    "Oer-Erkenschwick": "02368", "Waltrop": "02309", "Gelsenkirchen": "0209", "Bottrop": "02041",
}
POPULATION = {"Gelsenkirchen": 26, "Bottrop": 12, "Recklinghausen": 11, "Marl": 8, "Gladbeck": 8, "Dorsten": 7,
              "Castrop-Rauxel": 7, "Herten": 6, "Haltern am See": 4, "Datteln": 3, "Oer-Erkenschwick": 3}
STREETS = ("Hauptstraße", "Bahnhofstraße", "Industriestraße", "Gewerbering", "Am Handwerkerhof", "Zechenstraße",
           "Kanalstraße", "Marktstraße", "Lindenweg", "Schachtstraße", "Kirchstraße", "Im Gewerbepark")
CONSENT_SOURCES = ("Erstgespräch am Telefon", "Anfrage über das Web-Formular", "Besuch im Betrieb",
                   "Infoabend der Kreishandwerkerschaft")
WORKSHOPS = (  # title, topic key, days from today
    ("E-Rechnung im Handwerk: Pflichten und Praxis", "e_invoicing", -250),
    ("Digitale Baustellendokumentation mit Tablet und App", "mobile_work", -190),
    ("IT-Sicherheit im kleinen Betrieb: Backups, Passwörter, Phishing", "it_security", -130),
    ("Kundenbewertungen und Unternehmensprofil im Netz", "online_marketing", -75),
    ("Digitale Zeiterfassung einführen", "time_recording", -30),
    ("KI im Handwerksbüro: Angebote und Texte schneller schreiben", "ai", 12),
    ("Fördermittel für die Digitalisierung", "funding", 40),
)
PLACES = ("Bildungszentrum des Handwerks, Gelsenkirchen", "Kreishandwerkerschaft, Recklinghausen",
          "Online (Videokonferenz)")
WITHDRAW_REASONS = ("Betrieb hat derzeit keine Kapazitäten, später wieder melden.",
                    "Inhaber geht in den Ruhestand, die Übergabe ist noch offen.",
                    "Kein Interesse mehr nach dem Erstgespräch.")
# Final state -> how many demo cases, and the steps that lead there (in this order).
PLANS = (
    ("contacted", 44, ()), ("contacted", 4, ("withdraw", "reopen")), ("check_done", 36, ("check",)),
    ("workshop_attended", 26, ("check", "workshop")), ("referred", 16, ("check", "referral")),
    ("referred", 12, ("check", "workshop", "referral")), ("implemented", 14, ("check", "measure")),
    ("implemented", 16, ("check", "referral", "measure")), ("implemented", 8, ("check", "workshop", "measure")),
    ("withdrawn", 12, ("withdraw",)), ("withdrawn", 12, ("check", "withdraw")),
)
GAPS = {"check": (5, 30), "workshop": (0, 0), "referral": (5, 25), "measure": (15, 50), "withdraw": (7, 40),
        "reopen": (20, 45)}  # days after the previous step


def ensure_accounts() -> dict[str, User]:
    """The demo accounts by email, created where missing (one Argon2 hash for all of them)."""
    existing = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_([a[0] for a in ACCOUNTS])))}
    missing = [account for account in ACCOUNTS if account[0] not in existing]
    if missing:
        password_hash = hash_password(DEMO_PASSWORD)
        for email, name, role in missing:
            existing[email] = User(email=email, name=name, role=role, password_hash=password_hash)
            db.session.add(existing[email])
        db.session.flush()
    return existing


@lru_cache(maxsize=65536)  # names repeat: the bulk seed asks for the same slugs again and again
def _slug(text_: str) -> str:
    text_ = re.sub(r" (GmbH & Co\. KG|GmbH|e\.K\.)$", "", text_).lower()
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("ó", "o")):
        text_ = text_.replace(umlaut, plain)
    return re.sub(r"[^a-z0-9]+", "-", text_).strip("-")


class _Region:
    """The reference data the generators pick from, loaded once."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.towns = list(db.session.scalars(select(Municipality).order_by(Municipality.id)))
        trades = list(db.session.scalars(select(Trade).order_by(Trade.id)))
        if not self.towns or not trades:
            raise RuntimeError("Reference data is missing: run `flask procheck seed-reference` first.")
        known = [t for t in trades if t.name in TRADE_WORDS]
        self.trades = known or trades  # another chamber's trade list: fall back to the plain trade names
        # Cumulative weights: random.choices would add them up on every call (the same picks either way).
        self.trade_weights = list(accumulate(TRADE_WORDS.get(t.name, ("", 1))[1] for t in self.trades))
        self.town_weights = list(accumulate(POPULATION.get(t.name, 2) for t in self.towns))
        # What a business needs of its trade and town, as plain tuples (the bulk seed makes a million).
        self.trade_words = [(t.id, TRADE_WORDS.get(t.name, (t.name, 1))[0]) for t in self.trades]
        self.town_codes = [(t.id, [p.code for p in t.postcodes], AREA_CODES.get(t.name, "0201")) for t in self.towns]

    def business(self, when: datetime) -> dict:
        rng = self.rng
        trade_id, word = rng.choices(self.trade_words, cum_weights=self.trade_weights)[0]
        town_id, postcodes, area_code = rng.choices(self.town_codes, cum_weights=self.town_weights)[0]
        surname, first = rng.choice(SURNAMES), rng.choice(FIRST_NAMES)
        name = rng.choice(NAME_PATTERNS).format(w=word, s=surname, f=first)
        consent = rng.random() < 0.45
        mail = (f"info@{_slug(name)[:40]}.example.org" if rng.random() < 0.6
                else f"{_slug(first)}.{_slug(surname)}@example.com")
        return dict(
            name=name, trade_id=trade_id, register_number=str(rng.randint(100000, 999999)),
            street=f"{rng.choice(STREETS)} {rng.randint(1, 140)}", postcode=rng.choice(postcodes),
            municipality_id=town_id, contact_name=f"{first} {surname}",
            phone=f"{area_code} 0{rng.randint(10000, 999999)}", email=mail,
            employees=max(1, int(rng.lognormvariate(1.8, 0.8))), email_consent=consent,
            consent_at=when if consent else None,
            consent_source=rng.choice(CONSENT_SOURCES) if consent else "", created_at=when,
        )


def seed_demo_data() -> bool:
    """Create the demo accounts, workshops, businesses and cases; False when the demo already exists."""
    if db.session.scalar(select(User.id).where(User.email == ACCOUNTS[0][0])) is not None:
        return False
    rng = random.Random(42)
    accounts = ensure_accounts()
    scouts = [accounts["scout1@example.org"], accounts["scout2@example.org"]]
    region = _Region(rng)
    now = utcnow()
    workshops = _workshops(now)
    plans = [(target, steps) for target, count, steps in PLANS for _i in range(count)]
    rng.shuffle(plans)
    builder, names = _CaseBuilder(rng, now, workshops), set()
    for number, (_target, steps) in enumerate(plans):
        opened = builder.opened_at(steps)
        while (fields := region.business(opened))["name"] in names:  # no false duplicate warnings in the demo
            pass
        names.add(fields["name"])
        business = Business(**fields)
        db.session.add(business)
        db.session.flush()
        builder.run(business, scouts[number % 2], steps)
    keep_some_mails_due(now)
    consents.record_bulk_consents()
    return True


def _workshops(now: datetime) -> list[Workshop]:
    topics = {t.key: t for t in db.session.scalars(select(Topic))}
    made = []
    for number, (title, key, days) in enumerate(WORKSHOPS):
        if key not in topics:
            continue
        day = (now.astimezone(BERLIN) + timedelta(days=days)).date()
        starts = datetime.combine(day, time(17, 0), tzinfo=BERLIN).astimezone(UTC)
        made.append(Workshop(title=title, topic_id=topics[key].id, topics=[topics[key]], starts_at=starts,
                             place=PLACES[number % 3],
                             description="Erfahrungsaustausch unter Betrieben mit einem kurzen Impulsvortrag."))
    db.session.add_all(made)
    db.session.flush()
    return made


class _CaseBuilder:
    """Walks one demo case through its steps with the real workflow, then backdates what it wrote."""

    def __init__(self, rng: random.Random, now: datetime, workshops: list[Workshop]) -> None:
        self.rng, self.now = rng, now
        self.past = [w for w in workshops if w.starts_at < now]
        self.partners = list(db.session.scalars(select(Partner).where(Partner.active).order_by(Partner.id)))
        self.topics = {t.key: t for t in db.session.scalars(select(Topic))}
        self.questionnaire = qn.load()
        self.workshop: Workshop | None = None
        self.weakest: qn.Dimension | None = None
        self.answers: dict[str, int] = {}
        self.clock = FollowUpClock(now)

    def _span(self, steps) -> float:
        return sum(GAPS[step][1] for step in steps) + 2

    def opened_at(self, steps: tuple[str, ...]) -> datetime:
        """Early enough that every step fits before today, and the steps before a workshop before its date."""
        if "workshop" in steps:
            i = steps.index("workshop")
            fits = [w for w in self.past if w.starts_at < self.now - timedelta(days=self._span(steps[i + 1:]))]
            self.workshop = self.rng.choice(fits)
            return self._office_hours(
                self.workshop.starts_at - timedelta(days=self._span(steps[:i]) + self.rng.uniform(3, 20)))
        return self._office_hours(self.now - timedelta(days=self.rng.uniform(self._span(steps) + 3, 300)))

    def _office_hours(self, moment: datetime) -> datetime:
        """The same day (Friday for a weekend) between 8 and 17 o'clock in Berlin: when scouts work."""
        day = moment.astimezone(BERLIN).date()
        day -= timedelta(days=max(0, day.weekday() - 4))
        clock = time(self.rng.randint(8, 16), self.rng.randint(0, 59))
        return datetime.combine(day, clock, tzinfo=BERLIN).astimezone(UTC)

    def run(self, business: Business, owner: User, steps: tuple[str, ...]) -> None:
        when = business.created_at
        self.case = case = Case(business_id=business.id, owner_id=owner.id, opened_at=when, state_changed_at=when)
        db.session.add(case)
        workflow.open_case(case, owner)
        self.clock.after_move(case, when)
        first_call = (f"Erstgespräch mit {business.contact_name}: Interesse am kostenlosen Digitalisierungscheck, "
                      "Termin wird abgestimmt.")
        add_event(case, "note", owner, first_call, channel="call").created_at = when + timedelta(minutes=15)
        for step in steps:
            low, high = GAPS[step]
            if step == "workshop":
                when = self.workshop.starts_at + timedelta(hours=2)
            else:
                when = self._office_hours(when + timedelta(days=self.rng.uniform(low, high)))
            self.clock.settle(case, owner, when)  # what fell due before this step has happened
            getattr(self, f"_{step}")(case, owner, when)
        self.clock.finish(case, owner)

    def _move(self, case: Case, target: str, owner: User, when: datetime, reason: str = "") -> None:
        entry = workflow.move(case, target, owner, reason=reason)
        entry.created_at = case.state_changed_at = when + timedelta(minutes=1)
        if case.closed_at:
            case.closed_at = entry.created_at
        self.clock.after_move(case, entry.created_at)

    def _backdate(self, case: Case, when: datetime) -> None:
        """Give the timeline entries the operation just wrote the step's (past) time."""
        db.session.flush()
        db.session.execute(update(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.created_at >= self.now)
                           .values(created_at=when).execution_options(synchronize_session="fetch"))

    def _check(self, case: Case, owner: User, when: datetime) -> None:
        q = self.questionnaire
        affinity = self.rng.uniform(0.4, 3.2)  # how digital this business already is
        self.answers = {item.key: min(q.max_value, max(0, round(self.rng.gauss(affinity, 0.9)))) for item in q.items}
        relevance = [o.value for o in q.relevance_scale if o.value is not None]
        check = checks.start_or_continue(case, owner)
        db.session.flush()
        answers = ({key: {ans.IMPLEMENTATION: value, ans.RELEVANCE: self.rng.choice(relevance)}
                    for key, value in self.answers.items()} if q.rates_relevance else self.answers)
        checks.save_step(check, answers, resume_at=None)
        checks.complete(check, case, owner, move_on=False)
        check.started_at, check.completed_at = when - timedelta(hours=1), when
        self.weakest = min(q.dimensions, key=lambda d: check.scores[d.key])
        self._backdate(case, when)
        self._move(case, "check_done", owner, when)

    def _workshop(self, case: Case, owner: User, when: datetime) -> None:
        workshops.record_attendance(case, self.workshop, owner, move_on=False)
        db.session.execute(update(Attendance).where(Attendance.case_id == case.id).values(recorded_at=when))
        self._backdate(case, when)
        self._move(case, "workshop_attended", owner, when)

    def _referral(self, case: Case, owner: User, when: datetime) -> None:
        wanted = set(self.weakest.topics)
        partner = self.rng.choice([p for p in self.partners if wanted & {t.key for t in p.topics}] or self.partners)
        topic = self.rng.choice([t for t in partner.topics if t.key in wanted] or partner.topics)
        partners.refer(case, partner, topic, True, "Betrieb ist mit der Weitergabe der Kontaktdaten einverstanden.",
                       owner, move_on=False)
        db.session.execute(update(Referral).where(Referral.case_id == case.id).values(created_at=when))
        self._backdate(case, when)
        self._move(case, "referred", owner, when)

    def _measure(self, case: Case, owner: User, when: datetime) -> None:
        item = min(self.weakest.items, key=lambda i: self.answers[i.key])
        text_ = self.rng.choice(item.measures) if item.measures else self.weakest.name
        topic = self.topics.get(item.topics[0]) if item.topics else None
        measures.record_measure(case, owner, text_, MeasureStatus.IMPLEMENTED, topic, today_berlin(when),
                                move_on=False)
        db.session.execute(update(Measure).where(Measure.case_id == case.id).values(created_at=when))
        self._backdate(case, when)
        self._move(case, "implemented", owner, when)

    def _withdraw(self, case: Case, owner: User, when: datetime) -> None:
        self._move(case, workflow.WITHDRAWN, owner, when, self.rng.choice(WITHDRAW_REASONS))

    def _reopen(self, case: Case, owner: User, when: datetime) -> None:
        self._move(case, workflow.INITIAL, owner, when, "Betrieb hat sich wieder gemeldet und möchte den Check machen.")

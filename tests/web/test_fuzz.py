"""Hostile input to every route: no request may answer 5xx, on SQLite and on PostgreSQL.

The routes come from the app's URL map, so a new route is fuzzed without touching this file. For each
route the test first sends a plausible request as each role allowed to call it and learns

- which query parameters and form fields the view reads (a recording wrapper around request.args and
  request.form), and
- what a plausible form looks like: every page's <form method="post"> is parsed and filed under the
  endpoint its action leads to, so a POST-only route (a button on the case page) gets its fields too.

Then it sends long, unicode, control-character, huge-number, missing and wrong-type values: in every path
argument, in every query parameter the view reads (and a fixed list), in every form field (one at a time on
top of the plausible form, and all at once), as each allowed role; refused roles get a hostile request too.
An exception leaving the view counts as a 5xx (the test client re-raises it: TESTING=True).
"""

import itertools
import re
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from flask import request
from sqlalchemy import select
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from app.auth import sessions
from app.auth.access import PUBLIC
from app.checks import services as checks
from app.extensions import db
from app.imports.models import ImportRun
from app.intake import links as intake_links
from app.intake import services as intake
from app.partners import answers as partner_answers
from app.partners.models import Partner, Referral
from app.reference.models import Municipality, Trade
from app.reports.handover_models import HandoverJob, JobStatus
from app.scheduling import links, outbox, reminders
from app.scheduling.models import FollowUpRule
from app.timeutil import today_berlin, utcnow
from app.transactions import unit_of_work
from app.workshops.models import Workshop
from tests.factories import add_attendance, add_check, add_measure, add_referral, make_case

ANON = "anonymous"
ROLES = (ANON, "scout", "lead", "admin")

# Path arguments: <int:…> ids and steps, and <token>.
PATH_INTS = ("0", "2147483648", str(2**63), "١")  # "١" is a digit to \d+ and to int()
PATH_STRINGS = ("x", "A" * 3000, "Grüße-😀", "%00", "%0D%0ALocation:x", "..%2F..%2Fetc")

# Query and form values; MISSING drops the field, TWICE sends it twice (a list where one value is expected).
MISSING, TWICE = object(), object()
# Every query parameter or form field at once gets each of these (as the first role allowed).
VALUES = (
    "", " ", "None", "-1", "2147483648", str(2**63), str(10**20), "²", "١٢", "x" * 5000, "Grüße 😀 \u202e",
    "\x00", "zeile\r\nX-Injected: 1", "\x1b[0m\x7f", "step-²", "q_x:²",
)
# One parameter or field at a time (the others plausible) gets each of these.
SHARP = ("", " ", "None", "2147483648", str(2**63), "²", "x" * 5000, "a\x00b", MISSING, TWICE)
# The other allowed roles get every parameter or field at once with each of these.
FEW = ("None", str(2**63), "²")

# Query parameters sent to every route besides those the view was seen reading.
QUERY_KEYS = ("page", "per_page", "owner", "state", "q", "topic", "municipality", "group", "status", "kind",
              "next", "back", "go")

# Where a route's check_id should be a completed check rather than the open draft.
ON_COMPLETED_CHECK = {"checks.result", "checks.take_over"}


# --- what a request reads -----------------------------------------------------------------------------------------

class Recording(ImmutableMultiDict):
    """request.args / request.form that notes every key the application looks up."""

    seen: set[str]

    def _note(self, key):
        if isinstance(key, str):
            self.seen.add(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def get(self, key, default=None, type=None):
        self._note(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):
        self._note(key)
        return super().getlist(key, type)


def recording(into: dict[str, set[str]]):
    """A before_request hook: swap in recording args and form, filed under the request's endpoint."""

    def record():
        seen = into.setdefault(request.endpoint, set())
        for attribute in ("args", "form"):
            wrapped = Recording(getattr(request, attribute))
            wrapped.seen = seen
            request.__dict__[attribute] = wrapped

    return record


# --- the forms of the rendered pages ------------------------------------------------------------------------------

class FormParser(HTMLParser):
    """Every <form method="post">: its action and its fields with the values a user would send."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = None
            if a.get("method", "").lower() == "post":
                self._form = {"action": a.get("action", ""), "fields": {}, "names": set()}
                self.forms.append(self._form)
            return
        if self._form is None or not a.get("name"):
            return
        name, fields = a["name"], self._form["fields"]
        self._form["names"].add(name)
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                if "checked" in a or (kind == "radio" and name not in fields):
                    fields[name] = a.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                fields[name] = a.get("value") or plausible(kind, name)
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if "selected" in a or (value and not fields.get(self._select)):
                fields[self._select] = value
        elif tag == "textarea":
            self._textarea = name
            fields[name] = "Fuzz"

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._form is not None and self._textarea and data.strip():
            self._form["fields"][self._textarea] = data


def plausible(kind: str, name: str) -> str:
    """A value a user might type into an empty input of this type."""
    soon = today_berlin() + timedelta(days=30)
    return {"date": soon.isoformat(), "time": "10:00", "datetime-local": f"{soon.isoformat()}T10:00",
            "email": "fuzz@example.org", "number": "3", "url": "https://example.org", "tel": "0201 123456",
            "password": "procheck-demo"}.get(kind, "45879" if "postcode" in name else "Fuzz")


# --- the fuzzer ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Probe:
    role: str
    method: str
    rule: Rule
    path: tuple[tuple[str, str], ...] = ()  # hostile path arguments (already URL-encoded)
    query: str = ""
    data: ImmutableMultiDict | None = None


class Fuzzer:
    def __init__(self, app, client, users: dict, ids: dict) -> None:
        self.app, self.client, self.users, self.ids = app, client, users, ids
        self.tokens: dict[str, str] = {}  # a session per role, opened again after a probe that may end it
        self.reads: dict[str, set[str]] = {}  # endpoint -> the query parameters and form fields it read
        self.app.before_request(recording(self.reads))
        self.adapter = app.url_map.bind("localhost")
        self.forms: dict[str, dict] = {}  # endpoint -> the first post form found for it on a page
        self.sent = 0
        self.failures: list[str] = []
        self.rules = sorted((rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"),
                            key=lambda rule: (rule.endpoint, rule.rule))

    def roles(self, rule: Rule) -> list[str]:
        allowed = self.app.view_functions[rule.endpoint].access_roles
        return [role for role in ROLES if PUBLIC in allowed or role in allowed]

    def methods(self, rule: Rule) -> list[str]:
        return sorted(rule.methods - {"HEAD", "OPTIONS"})

    # -- sending --

    def url(self, probe: Probe) -> str:
        hostile = dict(probe.path)
        values = {arg: hostile.get(arg) or quote(self.plausible(probe.rule, arg), safe="")
                  for arg in probe.rule.arguments}
        path = re.sub(r"<(?:[^:<>]+:)?(\w+)>", lambda m: values[m.group(1)], probe.rule.rule)
        return f"{path}?{probe.query}" if probe.query else path

    def plausible(self, rule: Rule, argument: str) -> str:
        if argument == "token" and rule.endpoint == "intake.confirm":
            return _request_token()
        if argument == "token" and rule.endpoint == "partners.answer":  # the partner's own signed link
            return partner_answers.make_url(db.session.get(Referral, self.ids["referral_id"])).rsplit("/", 1)[1]
        if argument == "token":  # a fresh signed link of the route's purpose: a used one would only say so
            purpose = next(p for p, (endpoint, *_rest) in links.PURPOSES.items()
                           if endpoint.split(".")[0] == rule.endpoint.split(".")[0])
            token = links.make_token(purpose, case_id=self.ids["case_id"], business_id=self.ids["business_id"],
                                     a="going_well")
            db.session.commit()
            return token
        if argument == "check_id" and rule.endpoint in ON_COMPLETED_CHECK:
            return str(self.ids["completed_check_id"])
        return str(self.ids[argument])

    def send(self, probe: Probe):
        """Send one request as the probe's role; note it when it answers 5xx (or raises). Returns the response."""
        user = self.users.get(probe.role)
        if user is not None and not user.active:  # a fuzzed request disabled the account: it fuzzes on
            user.active = True
        with self.client.session_transaction() as session:  # signed in afresh: a probe may have signed out
            session.clear()
            if user is not None:
                if probe.role not in self.tokens:
                    self.tokens[probe.role] = sessions.open_now(user)
                session["_user_id"], session["_fresh"] = self.tokens[probe.role], True
        if probe.rule.endpoint.startswith("auth."):  # sign-out, password, disabling: sessions may end
            self.tokens.clear()
        url = self.url(probe)
        where = f"{probe.method} {url[:160]} {_short(probe.data)} as {probe.role}"
        self.sent += 1
        try:
            response = self.client.open(url, method=probe.method, data=probe.data)
        except Exception as exc:  # noqa: BLE001 - an exception out of the view is the 500 this test looks for
            self.failures.append(f"{where}: {type(exc).__name__}: {str(exc)[:160]}")
            return None
        if response.status_code >= 500:
            self.failures.append(f"{where}: {response.status_code}")
        return response

    # -- learning the routes --

    def discover(self) -> None:
        """A plausible request to every route as every allowed role; file the post forms of the pages."""
        for rule in self.rules:
            for method, role in itertools.product(self.methods(rule), self.roles(rule)):
                response = self.send(Probe(role, method, rule, data=ImmutableMultiDict()))
                if (method == "GET" and response is not None and response.status_code == 200
                        and response.mimetype == "text/html"):  # not the downloads (XLSX, CSV)
                    self.file_forms(response.get_data(as_text=True), self.url(Probe(role, method, rule)))

    def file_forms(self, page: str, page_url: str) -> None:
        parser = FormParser()
        parser.feed(page)
        for form in parser.forms:
            action = urlsplit(form["action"] or page_url)
            try:
                endpoint, _args = self.adapter.match(action.path, method="POST")
            except HTTPException:
                continue
            self.forms.setdefault(endpoint, {"query": action.query, **form})

    # -- the hostile requests --

    def plan(self) -> list[Probe]:
        probes = []
        for rule in self.rules:
            allowed = self.roles(rule)
            for method in self.methods(rule):
                probes += self.plan_route(rule, method, allowed)
        return probes

    def plan_route(self, rule: Rule, method: str, allowed: list[str]) -> list[Probe]:
        """The hostile requests of one route and method."""
        first, others = allowed[0], allowed[1:]
        read = self.reads.get(rule.endpoint, set())
        if method == "GET":  # the query string is the input
            base, action_query = [], {}
            names, singles = sorted(read | set(QUERY_KEYS)), sorted(read)

            def probe(role, pairs, path=()) -> Probe:
                return Probe(role, method, rule, path, urlencode(pairs))
        else:  # the form is the input; the query string of the form's action (?back=today&page=2) comes below
            form = self.forms.get(rule.endpoint, {"fields": {}, "names": set(), "query": ""})
            base = [(name, value) for name, value in form["fields"].items() if name != "csrf_token"]
            action_query = dict(parse_qsl(form["query"]))
            names = sorted((form["names"] | read) - {"csrf_token"}) or ["x"]
            singles = one_of_each_kind(names, dict(base))

            def probe(role, pairs, path=()) -> Probe:
                return Probe(role, method, rule, path, urlencode(action_query), ImmutableMultiDict(pairs))

        probes = [probe(first, [(name, value) for name in names]) for value in VALUES]  # everything at once
        probes += [probe(role, [(name, value) for name in names]) for role in others for value in FEW]
        probes += [probe(first, _replace(base, name, value)) for name in singles for value in SHARP]
        probes += [Probe(first, method, rule, (), urlencode(_replace(action_query, key, value)),
                         ImmutableMultiDict(base)) for key in action_query for value in SHARP]
        probes += [probe(first, base, ((argument, quote(value, safe="%")),)) for argument in rule.arguments
                   for value in (PATH_STRINGS if argument == "token" else PATH_INTS)]
        hostile = urlencode(dict.fromkeys(QUERY_KEYS, "²\x00"))
        probes += [Probe(role, method, rule, (), hostile, ImmutableMultiDict({"id": str(2**63)}))
                   for role in ROLES if role not in allowed]  # refused before the view, hostile all the same
        return probes


def one_of_each_kind(names: list[str], base: dict) -> list[str]:
    """The fields to fuzz one at a time: of fields that differ only after their first "_" and have the same
    plausible value (the check's q_<item> radios), the first two."""
    kinds: dict[tuple, list[str]] = {}
    for name in names:
        kinds.setdefault((name.split("_", 1)[0] if "_" in name else name, base.get(name)), []).append(name)
    return [name for same in kinds.values() for name in same[:2]]


def _replace(base, key: str, value) -> list[tuple[str, str]]:
    """The pairs of base (pairs or a dict) with key set to value (left out for MISSING, sent twice for TWICE)."""
    pairs = list(base.items()) if isinstance(base, dict) else list(base)
    kept = [(k, v) for k, v in pairs if k != key]
    if value is TWICE:
        return [*kept, (key, dict(pairs).get(key, "1")), (key, "2")]
    return kept if value is MISSING else [*kept, (key, value)]


def _short(data) -> str:
    if not data:
        return ""
    items = data.items(multi=True) if isinstance(data, ImmutableMultiDict) else data.items()
    return repr({k: (v[:40] + "…" if len(v) > 40 else v) for k, v in items})[:300]


def _request_token() -> str:
    """The confirmation token of a fresh public request (its link is the intake's own, not one of links.PURPOSES)."""
    town = db.session.scalar(select(Municipality).where(Municipality.name == "Gelsenkirchen"))
    values = {"name": "Tischlerei Kranz", "contact_name": "Karl Kranz", "email": "fuzz@example.org", "phone": "",
              "postcode": "45879", "trade_id": db.session.scalar(select(Trade.id)), "employees": None,
              "message": "Bitte um einen Check"}
    with unit_of_work():
        row = intake.submit(values, town)
    return intake_links.make_url(row).rsplit("/", 1)[1]


@pytest.fixture
def ids(app, users) -> dict:
    """Records for every kind of path argument: a case with a completed check, an open re-check, a workshop
    attendance, a planned measure, a reminder and a mail."""
    scout = users["scout"]
    case = make_case(scout)
    completed = add_check(case)
    add_attendance(case)
    measure = add_measure(case, "planned")
    with unit_of_work():
        draft = checks.start_or_continue(case, scout)
        reminder = reminders.create(case, scout.id, utcnow(), "Termin vereinbaren")
        mail = outbox.queue(recipient="info@brinkmann.example.org", audience="business",
                            template_key="check_results", due_at=utcnow(), unique_key="fuzz", case_id=case.id)
    referral = add_referral(case)
    run = ImportRun(filename="rolle.csv", stored_name="not-uploaded.csv", created_by_id=users["lead"].id)
    # A finished hand-over (a queued one would hold the owner's cases against the fuzzer's own hand-overs).
    job = HandoverJob(created_by_id=users["lead"].id, from_owner_id=users["scout2"].id, to_owner_id=scout.id,
                      status=JobStatus.DONE)
    db.session.add_all([run, job])
    db.session.commit()
    return {
        "case_id": case.id, "business_id": case.business_id, "check_id": draft.id, "completed_check_id": completed.id,
        "measure_id": measure.id, "reminder_id": reminder.id, "outbox_id": mail.id,
        "rule_id": db.session.scalar(select(FollowUpRule.id)), "workshop_id": db.session.scalar(select(Workshop.id)),
        "partner_id": db.session.scalar(select(Partner.id)), "user_id": users["scout2"].id, "step": 1,
        # The business's own municipality, postcode and trade (deleting them is refused), and a mail text.
        "municipality_id": case.business.municipality_id, "code": case.business.postcode,
        "trade_id": case.business.trade_id, "key": "how_is_it_going", "referral_id": referral.id, "run_id": run.id,
        "job_id": job.id,
    }


@pytest.mark.postgres
def test_no_hostile_input_answers_5xx(app, client, users, ids, backend, capsys):
    fuzzer = Fuzzer(app, client, users, ids)
    fuzzer.discover()
    for probe in fuzzer.plan():
        fuzzer.send(probe)
    with capsys.disabled():  # the figures for the record (pytest -s shows them; -q with xdist does not)
        print(f"\nfuzz on {backend}: {fuzzer.sent} requests, {len(fuzzer.failures)} answered 5xx")
    assert not fuzzer.failures, f"{len(fuzzer.failures)} of {fuzzer.sent} requests answered 5xx:\n" + "\n".join(
        fuzzer.failures[:200])

"""The result page: chart and table, level, the top 5 gaps with measures, workshops and partners; taking
suggested measures over into the case."""

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from app.cases.models import CaseEvent, Measure
from app.checks import questionnaire as qn
from app.checks import summary
from app.checks.models import Check
from app.checks.recommendations import recommend
from app.checks.scoring import score
from app.extensions import db
from app.partners.models import Partner
from app.reference.models import Topic
from app.timeutil import utcnow
from app.workshops.models import Workshop
from tests.factories import make_case

V2 = qn.load("v2")
GAPS = {  # item -> (implementation, relevance); gap = relevance × (4 − implementation)
    "office_e_invoice_issue": (0, 4),  # 16
    "security_backup": (1, 4),  # 12, more relevant than site_time_recording
    "site_time_recording": (0, 3),  # 12
    "customers_website": (2, 4),  # 8
    "skills_training": (2, 3),  # 6
    "data_ai_use": (3, 2),  # 2: sixth, not shown
    "strategy_plan": (None, 4),  # implementation "keine Angabe": no gap
}


def completed_check(case, gaps=GAPS, kind="t0", version="v2") -> Check:
    questionnaire = qn.load(version)
    answers = {item.key: {"implementation": 4, "relevance": 4} for item in questionnaire.items}
    answers.update({key: {"implementation": i, "relevance": r} for key, (i, r) in gaps.items()})
    result = score(questionnaire, answers)
    check = Check(case_id=case.id, questionnaire_version=version, kind=kind, status="completed", answers=answers,
                  scores=result.dimensions, overall_score=result.overall, level=result.level, completed_at=utcnow())
    db.session.add(check)
    db.session.flush()
    summary.record(check)  # the score rows and the case's T0/T1, as services.complete writes them
    db.session.commit()
    return check


def _workshop(title: str, topic_key: str, days: int) -> Workshop:
    topic = db.session.scalar(select(Topic).where(Topic.key == topic_key))
    workshop = Workshop(title=title, topic_id=topic.id, place="Handwerkskammer, Gelsenkirchen",
                        starts_at=utcnow() + timedelta(days=days))
    db.session.add(workshop)
    db.session.commit()
    return workshop


def test_result_shows_chart_table_level_and_the_top_five_gaps_in_order(client, login, users):
    case = make_case(users["scout"])
    check = completed_check(case)
    _workshop("E-Rechnung ab 2027: was Betriebe jetzt tun müssen", "e_invoicing", 10)
    _workshop("E-Rechnung: Rückblick", "e_invoicing", -10)  # past: not offered
    _workshop("Datensicherung im Handwerksbetrieb", "cloud_backup", 20)
    login("scout")
    page = client.get(f"/checks/{check.id}/result").get_data(as_text=True)
    # level and overall: office (6 items) has 16 of 24 points... computed by score(); shown the German way
    assert f"{check.overall_score:.1f}".replace(".", ",") + " von 100 Punkten" in page
    assert f"Stufe {check.level} von 5" in page
    # the chart: inline SVG with a title, a description and role="img"; the table beside it
    assert '<svg class="chart-svg"' in page and 'role="img"' in page and "<title id=\"result-chart-title\">" in page
    assert "Balkendiagramm der Punkte je Handlungsfeld von 0 bis 100." in page
    assert page.count('<rect x="250"') == len(V2.dimensions)
    assert '<caption id="score-caption">Punkte je Handlungsfeld</caption>' in page
    for dimension in V2.dimensions:
        assert f'<th scope="row">{dimension.name}</th>' in page
    # the gaps, largest first, five of them
    texts = [next(i.text for i in V2.items if i.key == key) for key in GAPS]
    positions = [page.find(f"<h3>{text}</h3>") for text in texts[:5]]
    assert all(p > 0 for p in positions) and positions == sorted(positions)
    assert f"<h3>{texts[5]}</h3>" not in page and f"<h3>{texts[6]}</h3>" not in page
    assert "Umsetzung: nicht vorhanden" in page and "Relevanz: sehr relevant" in page
    # plain German: the order in words, no formula, no score arithmetic
    assert "für den Betrieb am wichtigsten und bisher am wenigsten umgesetzt" in page
    assert "Lücke =" not in page and "von 16" not in page and "(Version" not in page
    # measures, upcoming workshops on the topic, partners with the expertise
    assert "Bei der Handwerkersoftware nachfragen, ob sie XRechnung oder ZUGFeRD ausgeben kann" in page
    assert "E-Rechnung ab 2027: was Betriebe jetzt tun müssen" in page and "Rückblick" not in page
    assert "Datensicherung im Handwerksbetrieb" in page
    assert "Lippe Software &amp; Beratung" in page and "Emscher IT-Service GmbH" in page
    assert "Zu diesem Thema ist derzeit kein Workshop geplant." in page
    assert "Digitale Geschäftsstrategie" in page and "Grüne Digitalisierung" in page  # the EU DMA frame


def test_result_page_needs_the_same_number_of_queries_however_many_workshops_and_partners(app, client, login,
                                                                                        users):
    case = make_case(users["scout"])
    check = completed_check(case)
    login("scout")
    statements: list[str] = []

    def count(*args):
        statements.append(args[2])

    def queries() -> int:
        db.session.expire_all()  # both runs load everything afresh
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/checks/{check.id}/result").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    _workshop("Workshop vorab", "it_security", 9)  # a workshop's topics load in one query, for one or many
    before = queries()
    for n in range(8):
        _workshop(f"Workshop {n}", ["e_invoicing", "it_security", "time_recording", "website"][n % 4], n + 1)
    topic = db.session.scalar(select(Topic).where(Topic.key == "it_security"))
    for n in range(5):
        db.session.add(Partner(name=f"IT-Partner {n}", kind="service_provider", email=f"it{n}@partner.example.org",
                               topics=[topic]))
    db.session.commit()
    assert queries() == before


def test_suggested_measures_are_taken_over_once_with_status_suggested(client, login, users):
    case = make_case(users["scout"])
    check = completed_check(case)
    login("scout")
    response = client.post(f"/checks/{check.id}/measures", follow_redirects=True,
                           data={"suggestion": ["office_e_invoice_issue:0", "security_backup:1", "bogus:0",
                                                "security_backup:9"]})
    page = response.get_data(as_text=True)
    assert "2 Maßnahmen wurden als „vorgeschlagen“ in den Fall übernommen." in page
    measures = list(db.session.scalars(select(Measure).where(Measure.case_id == case.id).order_by(Measure.id)))
    assert [(m.status, m.topic.key, m.implemented_on) for m in measures] == [
        ("suggested", "e_invoicing", None), ("suggested", "cloud_backup", None)]
    assert measures[1].description == "Einmal im Jahr eine Wiederherstellung testen"
    assert page.count('<span class="badge">im Fall</span>') == 2
    event_ = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id,
                                                       CaseEvent.kind == "measure_recorded"))
    assert "Vorgeschlagene Maßnahmen aus dem Check übernommen" in event_.text
    assert event_.data["measure_ids"] == [m.id for m in measures]
    again = client.post(f"/checks/{check.id}/measures", data={"suggestion": ["security_backup:1"]},
                        follow_redirects=True).get_data(as_text=True)
    assert "1 Maßnahme war schon im Fall." in again
    assert db.session.scalar(select(func.count(Measure.id))) == 2


def test_taking_over_nothing_is_refused_in_german(client, login, users):
    case = make_case(users["scout"])
    check = completed_check(case)
    login("scout")
    page = client.post(f"/checks/{check.id}/measures", data={"suggestion": ["bogus:1"]},
                       follow_redirects=True).get_data(as_text=True)
    assert "Bitte wählen Sie mindestens eine vorgeschlagene Maßnahme aus." in page
    assert db.session.scalar(select(func.count(Measure.id))) == 0


def test_a_recheck_result_shows_the_change_per_dimension(client, login, users):
    case = make_case(users["scout"])
    first = completed_check(case, {**GAPS, "security_updates": (0, 4)})
    first.completed_at = utcnow() - timedelta(days=200)
    db.session.commit()
    recheck = completed_check(case, {"office_e_invoice_issue": (4, 4)}, kind="t1")
    login("scout")
    page = client.get(f"/checks/{recheck.id}/result").get_data(as_text=True)
    assert "Erster Check und Re-Check im Vergleich" in page and "Veränderung seit dem ersten Check" in page
    change = round(recheck.scores["security"] - first.scores["security"], 1)
    assert f"+{change:.1f}".replace(".", ",") in page
    assert page.count("bar-before") >= len(V2.dimensions)  # two bars per dimension, with a legend


@pytest.mark.parametrize("version", ["v1"])
def test_an_old_v1_result_still_shows_with_its_own_questions(client, login, users, version):
    case = make_case(users["scout"])
    v1 = qn.load("v1")
    answers = {item.key: 2 for item in v1.items} | {"strategy_plan": 0}
    result = score(v1, answers)
    check = Check(case_id=case.id, questionnaire_version="v1", status="completed", answers=answers,
                  scores=result.dimensions, overall_score=result.overall, level=result.level, completed_at=utcnow())
    db.session.add(check)
    db.session.flush()
    summary.record(check)  # the score rows and the case's T0/T1, as services.complete writes them
    db.session.commit()
    login("scout")
    page = client.get(f"/checks/{check.id}/result").get_data(as_text=True)
    assert v1.title in page and "(Version" not in page and "die bisher am wenigsten umgesetzt sind" in page
    assert f"<h3>{v1.items[0].text}</h3>" in page  # the least implemented item first


def test_partners_in_the_region_come_before_those_far_outside_however_well_they_match(app):
    for partner in db.session.scalars(select(Partner)):
        partner.active = False  # only the two below
    security = db.session.scalars(select(Topic).where(Topic.key.in_(("it_security", "cloud_backup",
                                                                      "data_protection")))).all()
    db.session.add_all([
        Partner(name="AAA Sicherheitszentrum Hannover", kind="consultant", city="Hannover", topics=list(security),
                email="info@aaa.example.org"),
        Partner(name="ZZZ IT-Sicherheit Gladbeck", kind="consultant", city="Gladbeck", topics=list(security[:1]),
                email="info@zzz.example.org"),
    ])
    db.session.commit()
    questionnaire = qn.load("v1")
    answers = {item.key: 4 for item in questionnaire.items} | {
        item.key: 0 for d in questionnaire.dimensions if d.key == "security" for item in d.items}
    first = recommend(questionnaire, answers)[0]
    assert first.gap.dimension.key == "security"
    # Gladbeck is in the region; Hannover covers more of the expertise, but is far away.
    assert [p.name for p in first.partners] == ["ZZZ IT-Sicherheit Gladbeck", "AAA Sicherheitszentrum Hannover"]

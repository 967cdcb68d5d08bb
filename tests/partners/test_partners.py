"""The partner directory (who may edit it) and referrals, which need the business's consent."""

import re

import pytest
from sqlalchemy import func, select

from app.cases.models import Case, CaseEvent
from app.extensions import db
from app.partners.models import Partner, Referral
from app.partners.services import PartnerError, refer, referrals_for_case
from app.reference.models import Topic
from tests.factories import bring_to, make_case


def _topic(key: str) -> Topic:
    return db.session.scalar(select(Topic).where(Topic.key == key))


def _partner(name_part: str) -> Partner:
    return db.session.scalar(select(Partner).where(Partner.name.contains(name_part)))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _partner_form(**overrides) -> dict:
    data = {"name": "Digitalagentur Emscher", "kind": "service_provider", "city": "Herten",
            "email": "hallo@digitalagentur.example.org", "phone": "02366 123", "website": "https://digital.example.org",
            "description": "Websites für Handwerksbetriebe", "active": "y",
            "topic_ids": [str(_topic("website").id), str(_topic("online_marketing").id)]}
    data.update(overrides)
    return data


def test_directory_lists_partners_with_topics_and_filters_by_kind_and_topic(client, login):
    login("admin")
    page = client.get("/partners").get_data(as_text=True)
    assert "Westfälische Hochschule" in page and "Mittelstand-Digital Zentrum Ruhr-OWL" in page
    assert "Hochschule" in page and "IT-Sicherheit" in page
    universities = client.get("/partners?kind=university").get_data(as_text=True)
    assert "Westfälische Hochschule" in universities and "Mittelstand-Digital Zentrum Ruhr-OWL" not in universities
    by_topic = client.get(f"/partners?topic={_topic('production').id}").get_data(as_text=True)
    assert "Westfälische Hochschule" in by_topic and "Hochschule Ruhr West" in by_topic
    assert "Zu diesem Filter passen keine Partner." in client.get(
        f"/partners?kind=chamber&topic={_topic('production').id}").get_data(as_text=True)


def test_a_scout_cannot_create_or_edit_a_partner(client, login):
    login("scout")
    assert client.get("/partners/new").status_code == 403
    before = _count(Partner)
    response = client.post("/partners/new", data=_partner_form())
    assert response.status_code == 403 and "Zugriff verweigert" in response.get_data(as_text=True)
    assert _count(Partner) == before
    assert client.get(f"/partners/{_partner('Westfälische').id}/edit").status_code == 403
    assert "Neuer Partner" not in client.get("/partners").get_data(as_text=True)


def test_lead_creates_a_partner_with_topics_and_admin_edits_it(client, login):
    login("lead")
    response = client.post("/partners/new", data=_partner_form(), follow_redirects=True)
    assert "Der Partner ist gespeichert." in response.get_data(as_text=True)
    partner = _partner("Digitalagentur")
    assert partner.kind == "service_provider" and partner.active
    assert {t.key for t in partner.topics} == {"website", "online_marketing"}
    form = client.get(f"/partners/{partner.id}/edit").get_data(as_text=True)
    assert 'Fachthemen <span aria-hidden="true">*</span></legend>' in form
    assert form.count('checked id="topic_ids-') == 2


@pytest.mark.postgres
def test_partner_form_validation_is_german_and_saves_nothing(client, login):
    login("admin")
    before = _count(Partner)
    page = client.post("/partners/new", data=_partner_form(name="", email="keine-mail", website="digital")
                       ).get_data(as_text=True)
    assert "Bitte geben Sie den Namen ein." in page and "Bitte geben Sie eine gültige E-Mail-Adresse ein." in page
    assert "Bitte geben Sie eine vollständige Internetadresse ein" in page
    page = client.post("/partners/new", data=_partner_form(name="westfälische hochschule")).get_data(as_text=True)
    assert "Einen Partner mit diesem Namen gibt es bereits." in page
    assert _count(Partner) == before


def test_referral_without_consent_is_refused_and_nothing_saved(client, login, users):
    case = bring_to(make_case(users["scout"]), "check_done", users["scout"])
    login("scout")
    events_before = _count(CaseEvent)
    response = client.post(f"/cases/{case.id}/referrals", data={
        "partner_id": _partner("Westfälische").id, "topic_id": _topic("it_security").id, "move_on": "y"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Ohne das Einverständnis des Betriebs dürfen wir ihn nicht an einen Partner vermitteln." in page
    assert _count(Referral) == 0 and _count(CaseEvent) == events_before
    assert db.session.get(Case, case.id).state == "check_done"


def test_referral_with_consent_and_move_on_refers_the_case(client, login, users):
    case = bring_to(make_case(users["scout"]), "check_done", users["scout"])
    partner = _partner("Westfälische")
    login("scout")
    form = client.get(f"/cases/{case.id}/referrals?topic={_topic('it_security').id}").get_data(as_text=True)
    assert "Der Betrieb ist einverstanden, dass wir seine Daten an den Partner weitergeben." in form
    assert "Fall anschließend auf „Vermittelt“ setzen" in form
    response = client.post(f"/cases/{case.id}/referrals", data={
        "partner_id": partner.id, "topic_id": _topic("it_security").id, "consent": "y", "note": "Bitte anrufen",
        "move_on": "y"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Die Vermittlung ist erfasst." in page and "Der Fall steht jetzt auf „Vermittelt“." in page
    [referral] = referrals_for_case(case.id)
    assert referral.partner_id == partner.id and referral.consent and referral.note == "Bitte anrufen"
    assert db.session.get(Case, case.id).state == "referred"
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "referral"))
    assert event.data["referral_id"] == referral.id and "Westfälische Hochschule" in event.text


def test_inactive_partners_are_not_offered_for_referrals(client, login, users):
    case = make_case(users["scout"])
    partner = _partner("Westfälische")
    partner.active = False
    db.session.commit()
    login("scout")
    page = client.get(f"/cases/{case.id}/referrals?topic={_topic('ai').id}").get_data(as_text=True)
    assert "Westfälische Hochschule, Gelsenkirchen</option>" not in page
    assert "Hochschule Ruhr West (Campus Bottrop), Bottrop</option>" in page
    client.post(f"/cases/{case.id}/referrals", data={"partner_id": partner.id, "topic_id": _topic("ai").id,
                                                     "consent": "y"})
    assert _count(Referral) == 0


@pytest.mark.postgres
def test_a_partner_without_email_or_expertise_topics_is_refused_and_nothing_saved(client, login):
    login("admin")
    before = _count(Partner)
    page = client.post("/partners/new", data=_partner_form(email="")).get_data(as_text=True)
    assert "Bitte geben Sie die E-Mail-Adresse des Partners ein: Dorthin geht die Vermittlungs-E-Mail." in page
    page = client.post("/partners/new", data=_partner_form(topic_ids=[])).get_data(as_text=True)
    assert "Bitte wählen Sie mindestens ein Fachthema." in page
    partner = _partner("Westfälische")
    response = client.post(f"/partners/{partner.id}/edit", data=_partner_form(name=partner.name, email=""))
    assert response.status_code == 422
    assert _count(Partner) == before
    assert db.session.get(Partner, partner.id).email == "transfer@westfaelische-hochschule.example.org"


def test_admin_maintains_city_region_contact_data_topics_and_active(client, login):
    login("admin")
    client.post("/partners/new", data=_partner_form(region="Emscher-Lippe"), follow_redirects=True)
    partner = _partner("Digitalagentur")
    assert (partner.city, partner.region, partner.phone) == ("Herten", "Emscher-Lippe", "02366 123")
    page = client.get("/partners").get_data(as_text=True)
    assert "Herten · Emscher-Lippe" in page
    client.post(f"/partners/{partner.id}/edit", data=_partner_form(active="", topic_ids=[str(_topic("ai").id)]))
    partner = db.session.get(Partner, partner.id)
    assert not partner.active and [t.key for t in partner.topics] == ["ai"]


@pytest.mark.postgres
def test_a_partner_without_email_is_shown_incomplete_and_cannot_receive_referrals(client, login, users):
    partner = _partner("Westfälische")
    partner.email = ""  # a partner from before e-mail addresses were required
    db.session.commit()
    case = make_case(users["scout"])
    login("scout")
    directory = client.get("/partners?kind=university").get_data(as_text=True)
    card = directory.split("Westfälische Hochschule", 1)[1].split("</li>", 1)[0]
    assert "unvollständig" in card and "Kann keine Vermittlungen erhalten" in card
    page = client.get(f"/cases/{case.id}/referrals?topic={_topic('it_security').id}").get_data(as_text=True)
    assert "Westfälische Hochschule, Gelsenkirchen</option>" not in page
    assert "1 Partner mit diesem Thema ausgeblendet, weil die E-Mail-Adresse fehlt." in page
    response = client.post(f"/cases/{case.id}/referrals", data={
        "partner_id": partner.id, "topic_id": _topic("it_security").id, "consent": "y"})
    assert response.status_code == 422 and "Bitte wählen Sie einen Eintrag aus der Liste." in response.get_data(
        as_text=True)
    assert _count(Referral) == 0


@pytest.mark.postgres
def test_the_referral_form_offers_only_partners_with_the_chosen_topic_and_says_how_many_are_hidden(
        client, login, users):
    case = make_case(users["scout"])
    topic = _topic("social_media")
    with_topic = set(db.session.scalars(select(Partner.name).where(Partner.active, Partner.topics.contains(topic))))
    active = db.session.scalar(select(func.count()).select_from(Partner).where(Partner.active))
    assert with_topic and len(with_topic) < active
    login("scout")
    first = client.get(f"/cases/{case.id}/referrals").get_data(as_text=True)
    assert "Partner zu diesem Thema zeigen" in first and 'name="partner_id"' not in first
    page = client.get(f"/cases/{case.id}/referrals?topic={topic.id}").get_data(as_text=True)
    offered = {name.split(", ")[0] for name in re.findall(r'<option value="\d+">([^<]+)</option>',
                                                           page.split('name="partner_id"', 1)[1].split("</select>")[0])}
    assert offered == with_topic
    hidden = active - len(with_topic)
    assert f"{hidden} Partner ohne dieses Thema ausgeblendet." in page


def test_a_partner_without_the_topic_is_refused_even_when_posted_directly(client, login, users):
    case = bring_to(make_case(users["scout"]), "check_done", users["scout"])
    partner = _partner("Westfälische")  # automation, IT security, production, AI: no social media
    login("scout")
    response = client.post(f"/cases/{case.id}/referrals", data={
        "partner_id": partner.id, "topic_id": _topic("social_media").id, "consent": "y", "move_on": "y"})
    assert response.status_code == 422 and "Bitte wählen Sie einen Eintrag aus der Liste." in response.get_data(
        as_text=True)
    not_listed = "Bitte wählen Sie einen Eintrag aus der Liste."
    for topic_id, message in (("99999999999999999999", not_listed), ("0", not_listed), ("abc", not_listed),
                              ("", "Bitte wählen Sie ein Thema.")):
        response = client.post(f"/cases/{case.id}/referrals", data={
            "partner_id": partner.id, "topic_id": topic_id, "consent": "y"})
        assert response.status_code == 422 and message in response.get_data(as_text=True), topic_id
    assert _count(Referral) == 0 and db.session.get(Case, case.id).state == "check_done"


def test_the_referral_operation_itself_refuses_partners_without_email_or_topic(app, users):
    case = make_case(users["scout"])
    partner = _partner("Westfälische")
    with pytest.raises(PartnerError, match="hat das gewählte Thema nicht"):
        refer(case, partner, _topic("social_media"), True, "", users["scout"], move_on=False)
    partner.email = ""
    with pytest.raises(PartnerError, match="keine E-Mail-Adresse"):
        refer(case, partner, _topic("it_security"), True, "", users["scout"], move_on=False)
    db.session.rollback()
    assert _count(Referral) == 0

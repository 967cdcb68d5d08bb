"""The questionnaire data (v1, v2), scoring, the gaps and versioning: plain functions, hand-computed."""

import json

import pytest
from sqlalchemy import select

from app.checks import answers as ans
from app.checks import questionnaire as qn
from app.checks.comparison import compare, comparison_for
from app.checks.dma import dma_scores
from app.checks.models import Check
from app.checks.scoring import gaps, score
from app.extensions import db
from app.timeutil import utcnow

V1 = qn.load("v1")
V2 = qn.load("v2")
TOPIC_KEYS = {topic["key"] for topic in json.loads((qn.CHECKS_DIR.parent / "topics.json").read_text())}


def rating(implementation, relevance):
    return {ans.IMPLEMENTATION: implementation, ans.RELEVANCE: relevance}


def _small(relevance: bool = True) -> qn.Questionnaire:
    def item(key):
        return qn.Item(key, key, "", (), ())

    scale = tuple(qn.ScaleOption(v, str(v)) for v in range(5))
    levels = tuple(qn.Level(n, m, name) for n, m, name in
                   [(1, 0, "Einsteiger"), (2, 20, "Entdecker"), (3, 40, "Anwender"), (4, 60, "Fortgeschrittener"),
                    (5, 80, "Vorreiter")])
    return qn.Questionnaire(
        "t1", "Test", scale, levels,
        (qn.Dimension("a", "A", "", (), (item("a1"), item("a2"), item("a3")), dma=("digital_readiness",)),
         qn.Dimension("b", "B", "", (), (item("b1"), item("b2")), dma=("digital_readiness", "automation_ai")),
         qn.Dimension("c", "C", "", (), (item("c1"),), dma=("green_digitalisation",))),
        relevance_scale=scale if relevance else (),
    )


# --- the questionnaire data ---

def test_v2_is_current_and_v1_stays_loadable():
    assert qn.CURRENT_VERSION == "v2" and qn.load() is V2 and qn.load("v1") is V1
    assert V2.rates_relevance and not V1.rates_relevance


def test_v2_has_seven_dimensions_of_four_to_six_items_with_unique_keys():
    assert len(V2.dimensions) == 7
    assert all(4 <= len(d.items) <= 6 for d in V2.dimensions)
    keys = [item.key for item in V2.items]
    assert len(keys) == len(set(keys))
    assert [lv.name for lv in V2.levels] == ["Einsteiger", "Entdecker", "Anwender", "Fortgeschrittener", "Vorreiter"]
    assert [o.label for o in V2.relevance_scale][::4] == ["nicht relevant", "sehr relevant"]


def test_v2_maps_every_dimension_and_item_to_known_topics_expertise_measures_and_dma():
    covered = set()
    for dimension in V2.dimensions:
        assert dimension.topics and dimension.expertise and dimension.measures and dimension.dma
        assert set(dimension.topics) | set(dimension.expertise) <= TOPIC_KEYS
        covered |= set(dimension.dma)
        for item in dimension.items:
            assert item.topics and item.expertise and item.measures, item.key
            assert set(item.topics) | set(item.expertise) <= TOPIC_KEYS, item.key
    assert covered == set(qn.DMA_KEYS)  # every EU DMA dimension gets a score


def test_v2_covers_the_topics_of_issue_4_with_the_exact_dates():
    text = " ".join(f"{d.name} {d.description} {i.text} {i.help}" for d in V2.dimensions for i in d.items)
    for words in ("Website", "Unternehmensprofil", "Bewertung", "Termine online", "sozialen Netzwerken",
                  "Handwerkersoftware", "Auftragsmappe", "Fotos", "Maschinen", "gesichert", "aktualisiert",
                  "Zwei-Faktor", "Datenschutz-Grundverordnung", "Online-Seminaren", "Künstliche", "automatisch"):
        assert words in text, words
    receive = next(i for i in V2.items if i.key == "office_e_invoice_receive")
    issue = next(i for i in V2.items if i.key == "office_e_invoice_issue")
    assert "EN 16931" in receive.text and "1. Januar 2025" in receive.help
    assert "800.000 €" in issue.help and "Ab 2027" in issue.help and "1. Januar 2028" in issue.help
    time = next(i for i in V2.items if i.key == "site_time_recording")
    assert "mobil" in time.text and "13.09.2022" in time.help


@pytest.mark.parametrize("version", ["v999", "../partners", "v1.json"])
def test_unknown_or_unsafe_version_is_refused(version):
    with pytest.raises(LookupError):
        qn.load(version)


# --- scoring, hand-computed ---

def test_score_leaves_no_answer_out_of_the_mean():
    # a: (4 + 3) / 2 = 3.5 -> 87.5; b: (1 + 0) / 2 -> 12.5; c: only "keine Angabe" -> no score
    answers = {"a1": rating(4, 2), "a2": rating(3, None), "a3": rating(None, 4), "b1": rating(1, 4),
               "b2": rating(0, 0), "c1": rating(None, None)}
    result = score(_small(), answers)
    assert result.dimensions == {"a": 87.5, "b": 12.5, "c": None}
    assert result.overall == 50.0 and result.level == 3  # (87.5 + 12.5) / 2, c left out


def test_score_rounds_to_one_decimal():
    # a: (1 + 1 + 2) / 3 = 1.333 -> 33.3; b: (4 + 4) / 2 -> 100; c: 3 -> 75; overall (33.3 + 100 + 75) / 3 = 69.43
    answers = {"a1": rating(1, 4), "a2": rating(1, 4), "a3": rating(2, 4), "b1": rating(4, 1), "b2": rating(4, 1),
               "c1": rating(3, 3)}
    result = score(_small(), answers)
    assert result.dimensions == {"a": 33.3, "b": 100.0, "c": 75.0}
    assert result.overall == 69.4 and result.level == 4


def test_relevance_does_not_change_the_score():
    low = {key: rating(2, 0) for key in ("a1", "a2", "a3", "b1", "b2", "c1")}
    high = {key: rating(2, 4) for key in low}
    assert score(_small(), low) == score(_small(), high)


def test_all_zero_check_scores_zero_at_level_one():
    result = score(V2, {item.key: rating(0, 0) for item in V2.items})
    assert set(result.dimensions.values()) == {0.0}
    assert result.overall == 0.0 and result.level == 1


def test_only_no_answer_gives_no_score_and_no_level():
    result = score(V2, {item.key: rating(None, None) for item in V2.items})
    assert set(result.dimensions.values()) == {None}
    assert result.overall is None and result.level is None


def test_level_thresholds_are_inclusive():
    assert V2.level_for(80.0).level == 5 and V2.level_for(79.9).level == 4 and V2.level_for(20.0).level == 2


@pytest.mark.parametrize("answer", [7, rating(7, 2), rating(2, 5), rating(-1, None)])
def test_a_value_off_the_scale_is_refused(answer):
    with pytest.raises(ValueError):
        score(_small(), {"a1": answer})


# --- gaps: relevance × (4 − implementation), only where both are given ---

def test_gaps_rank_relevant_but_unimplemented_items_first():
    answers = {
        "a1": rating(0, 4),  # 16
        "a2": rating(1, 2),  # 6
        "a3": rating(2, 3),  # 6, more relevant than a2: before it
        "b1": rating(None, 4),  # implementation "keine Angabe": no gap
        "b2": rating(0, None),  # relevance "keine Angabe": no gap
        "c1": rating(4, 4),  # fully implemented: 0, not a gap
    }
    found = gaps(_small(), answers)
    assert [(g.item.key, g.value) for g in found] == [("a1", 16), ("a3", 6), ("a2", 6)]
    assert gaps(_small(), answers, limit=1)[0].dimension.key == "a"


def test_gaps_of_an_all_zero_check_follow_relevance():
    answers = {"a1": rating(0, 1), "a2": rating(0, 3), "a3": rating(0, 0), "b1": rating(0, 2), "b2": rating(0, 4),
               "c1": rating(0, 3)}
    assert [(g.item.key, g.value) for g in gaps(_small(), answers)] == [
        ("b2", 16), ("a2", 12), ("c1", 12), ("b1", 8), ("a1", 4)]  # a3 is not relevant: no gap


def test_v1_without_relevance_ranks_by_implementation():
    assert [(g.item.key, g.value) for g in gaps(_small(relevance=False), {"a1": 3, "a2": 0, "b1": None})] == [
        ("a2", 16), ("a1", 4)]


def test_dma_score_is_the_mean_of_the_mapped_dimensions():
    # digital_readiness <- a (50) and b (75): 62.5; automation_ai <- b; green <- c (None); the rest: nothing mapped
    result = dma_scores(_small(), {"a": 50.0, "b": 75.0, "c": None})
    assert result["digital_readiness"] == 62.5 and result["automation_ai"] == 75.0
    assert result["green_digitalisation"] is None and result["digital_business_strategy"] is None


# --- stored answers ---

def test_merge_keeps_a_rating_given_earlier():
    merged = ans.merge(V2, {"strategy_plan": rating(1, None)}, {"strategy_plan": {ans.RELEVANCE: 4}})
    assert merged == {"strategy_plan": rating(1, 4)}
    assert ans.is_complete(V2, merged, "strategy_plan")
    assert not ans.is_complete(V2, {"strategy_plan": {ans.IMPLEMENTATION: 2}}, "strategy_plan")
    assert ans.is_complete(V1, {"strategy_plan": None}, "strategy_plan")


# --- versions: a check keeps its version, and a new version never changes old results ---

def _completed_v1(case_id: int, answers: dict) -> Check:
    result = score(V1, answers)
    check = Check(case_id=case_id, questionnaire_version="v1", status="completed", answers=answers,
                  scores=result.dimensions, overall_score=result.overall, level=result.level, completed_at=utcnow())
    db.session.add(check)
    db.session.commit()
    return check


@pytest.mark.postgres
def test_old_v1_results_are_unchanged_by_the_new_version(app, users):
    from tests.factories import make_case

    case = make_case(users["scout"])
    # strategy 4 -> 100, every other item 2 -> 50; overall (100 + 6 * 50) / 7 = 57.1, level 3 (v1's names)
    answers = {item.key: 4 if item.key.startswith("strategy") else 2 for item in V1.items}
    check = _completed_v1(case.id, answers)
    db.session.expire_all()
    stored = db.session.scalar(select(Check).where(Check.id == check.id))
    assert stored.questionnaire_version == "v1" and stored.overall_score == 57.1 and stored.level == 3
    assert score(qn.load(stored.questionnaire_version), stored.answers) == score(V1, answers)
    assert stored.scores == score(V1, answers).dimensions
    assert set(V2.items) != set(V1.items)  # v2 asks other questions: scoring under it would differ


@pytest.mark.postgres
def test_comparison_needs_the_same_version_and_computes_the_change(app, users):
    from tests.factories import make_case

    case = make_case(users["scout"])
    first = _completed_v1(case.id, {item.key: 1 for item in V1.items})  # 25 everywhere
    later = _completed_v1(case.id, {item.key: 3 if item.key.startswith("security") else 1 for item in V1.items})
    comparison = comparison_for([later, first])
    assert comparison.first.id == first.id and comparison.latest.id == later.id
    changes = {row.key: row.change for row in comparison.rows}
    assert changes["security"] == 50.0 and changes["strategy"] == 0.0
    assert comparison.overall_change == round(later.overall_score - 25.0, 1)
    other = Check(case_id=case.id, questionnaire_version="v2", status="completed", scores={}, answers={})
    with pytest.raises(ValueError):
        compare(first, other)

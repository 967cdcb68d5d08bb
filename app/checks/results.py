"""Everything the result page shows, gathered in a fixed number of queries."""

from flask_babel import format_date
from flask_babel import gettext as _

from app.cases.measures import measures_for_case
from app.cases.models import Case
from app.checks import services
from app.checks.chart import Series, bar_chart
from app.checks.comparison import Comparison, compare
from app.checks.dma import dma_label, dma_scores
from app.checks.models import RECHECK, Check
from app.checks.recommendations import recommend


def baseline_comparison(check: Check) -> Comparison | None:
    """For a re-check: its first check (T0) beside it, when both used the same version."""
    if check.kind != RECHECK:
        return None
    first = services.first_check(check.case_id)
    if first is None or first.id == check.id or first.questionnaire_version != check.questionnaire_version:
        return None
    return compare(first, check)


def result_core(check: Check) -> dict:
    """What the scout's result page and the business's own (after its self-check) both show: the chart, the
    comparison with the first check (for a re-check) and the top gaps with measures, workshops and partners."""
    questionnaire = services.questionnaire_of(check)
    scores = check.scores or {}
    comparison = baseline_comparison(check)
    series = [Series(_("This check"), "bar-now", scores)]
    if comparison:
        series = [Series(_("First check (%(date)s)", date=_date(comparison.first)), "bar-before",
                         comparison.first.scores or {}),
                  Series(_("Re-check (%(date)s)", date=_date(check)), "bar-now", scores)]
    chart = bar_chart([(d.key, d.name) for d in questionnaire.dimensions], series)
    return {"check": check, "questionnaire": questionnaire, "chart": chart, "comparison": comparison,
            "recommendations": recommend(questionnaire, check.answers or {})}


def result_page(check: Check, case: Case) -> dict:
    """The scout's result page: the common part, the EU DMA frame and the measures already on the case."""
    dma = dma_scores(services.questionnaire_of(check), check.scores or {})
    return {
        **result_core(check), "case": case,
        "dma": [(dma_label(key), value) for key, value in dma.items()],
        "on_case": {measure.description for measure in measures_for_case(case.id)},
    }


def _date(check: Check) -> str:
    return format_date(check.completed_at, "dd.MM.yyyy") if check.completed_at else "–"

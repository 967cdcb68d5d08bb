"""Results in the frame of the EU EDIH Digital Maturity Assessment (DMA): six dimensions, 0–100 each.

Each dimension of a questionnaire names the DMA dimensions it counts towards; a DMA dimension's
score is the mean of the scores of the questionnaire dimensions mapped to it.
"""

from flask_babel import lazy_gettext as _l

from app.checks.questionnaire import DMA_KEYS, Questionnaire

DMA_LABELS = {
    "digital_business_strategy": _l("Digital business strategy"),
    "digital_readiness": _l("Digital readiness"),
    "human_centric_digitalisation": _l("Human-centric digitalisation"),
    "data_management": _l("Data management and connectedness"),
    "automation_ai": _l("Automation and artificial intelligence"),
    "green_digitalisation": _l("Green digitalisation"),
}
assert tuple(DMA_LABELS) == DMA_KEYS, "every DMA dimension needs a German label"


def dma_label(key: str) -> str:
    return str(DMA_LABELS[key])


def dma_scores(questionnaire: Questionnaire, scores: dict[str, float | None]) -> dict[str, float | None]:
    """Each DMA dimension's score: the mean of the mapped dimension scores (None when none has a score)."""
    mapped: dict[str, list[float]] = {key: [] for key in DMA_KEYS}
    for dimension in questionnaire.dimensions:
        value = scores.get(dimension.key)
        if value is None:
            continue
        for key in dimension.dma:
            mapped[key].append(value)
    return {key: round(sum(values) / len(values), 1) if values else None for key, values in mapped.items()}

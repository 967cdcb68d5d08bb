"""The questionnaire of the check: a versioned data file (app/data/checks/<version>.json), read once.

A check keeps the version it was taken with, so old results are always shown with the
questions and levels they were scored against. From v2 on, each item is rated twice: how far it
is implemented (the score) and how relevant it is for the business (which ranks the gaps);
v1 asked only about implementation.
"""

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CURRENT_VERSION = "v2"
CHECKS_DIR = Path(__file__).resolve().parent.parent / "data" / "checks"
_VERSION = re.compile(r"^v\d+$")  # a version names a file: never let it walk out of CHECKS_DIR
# The six dimensions of the EU EDIH Digital Maturity Assessment (labels: app.checks.dma).
DMA_KEYS = ("digital_business_strategy", "digital_readiness", "human_centric_digitalisation", "data_management",
            "automation_ai", "green_digitalisation")


@dataclass(frozen=True)
class ScaleOption:
    value: int
    label: str


@dataclass(frozen=True)
class Level:
    level: int
    min: float
    name: str


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    help: str
    topics: tuple[str, ...]  # workshop topics (keys of app/data/topics.json)
    measures: tuple[str, ...]  # suggested measures, German
    expertise: tuple[str, ...] = ()  # partner expertise (topic keys); the topics when not given


@dataclass(frozen=True)
class Dimension:
    key: str
    name: str
    description: str
    topics: tuple[str, ...]
    items: tuple[Item, ...]
    expertise: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()
    dma: tuple[str, ...] = ()  # the EU DMA dimensions this dimension counts towards


@dataclass(frozen=True)
class Questionnaire:
    version: str
    title: str
    scale: tuple[ScaleOption, ...]
    levels: tuple[Level, ...]  # ascending by min
    dimensions: tuple[Dimension, ...]
    relevance_scale: tuple[ScaleOption, ...] = ()  # empty: this version does not ask about relevance
    description: str = ""

    @property
    def max_value(self) -> int:
        return max(option.value for option in self.scale)

    @property
    def rates_relevance(self) -> bool:
        return bool(self.relevance_scale)

    @property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for dimension in self.dimensions for item in dimension.items)

    def level_for(self, score: float | None) -> Level | None:
        """The highest level whose threshold the score reaches."""
        if score is None:
            return None
        reached = [level for level in self.levels if score >= level.min]
        return reached[-1] if reached else None

    def level_name(self, level: int | None) -> str:
        return next((entry.name for entry in self.levels if entry.level == level), "")

    def scale_label(self, value: int | None, relevance: bool = False) -> str:
        """The German words for a rating ("begonnen", "sehr relevant"); empty for "keine Angabe"."""
        scale = self.relevance_scale if relevance else self.scale
        return next((option.label for option in scale if option.value == value), "")


def _item(raw: dict) -> Item:
    topics = tuple(raw.get("topics", ()))
    return Item(raw["key"], raw["text"], raw.get("help", ""), topics, tuple(raw.get("measures", ())),
                tuple(raw.get("expertise", topics)))


def _dimension(raw: dict) -> Dimension:
    topics = tuple(raw.get("topics", ()))
    return Dimension(raw["key"], raw["name"], raw.get("description", ""), topics,
                     tuple(_item(item) for item in raw["items"]), tuple(raw.get("expertise", topics)),
                     tuple(raw.get("measures", ())), tuple(raw.get("dma", ())))


def _scale(raw: list[dict]) -> tuple[ScaleOption, ...]:
    return tuple(ScaleOption(s["value"], s["label"]) for s in raw)


def load(version: str = CURRENT_VERSION) -> Questionnaire:
    """One questionnaire version (read once); raises LookupError for an unknown version."""
    return _load(version)


@cache
def _load(version: str) -> Questionnaire:
    path = CHECKS_DIR / f"{version}.json"
    if not _VERSION.match(version) or not path.is_file():
        raise LookupError(f"unknown questionnaire version {version!r}")
    raw = json.loads(path.read_text(encoding="utf-8"))
    questionnaire = Questionnaire(
        version=raw["version"],
        title=raw["title"],
        scale=_scale(raw["scale"]),
        levels=tuple(sorted((Level(lv["level"], lv["min"], lv["name"]) for lv in raw["levels"]),
                            key=lambda lv: lv.min)),
        dimensions=tuple(_dimension(d) for d in raw["dimensions"]),
        relevance_scale=_scale(raw.get("relevance_scale", [])),
        description=raw.get("description", ""),
    )
    keys = [item.key for item in questionnaire.items] + [d.key for d in questionnaire.dimensions]
    if len(keys) != len(set(keys)) or questionnaire.version != version:
        raise ValueError(f"questionnaire {version}: keys must be unique and the version must match the file")
    unknown = {key for d in questionnaire.dimensions for key in d.dma} - set(DMA_KEYS)
    if unknown:
        raise ValueError(f"questionnaire {version}: unknown DMA dimensions {sorted(unknown)}")
    return questionnaire

"""The questionnaire of the check: a versioned data file (app/data/checks/<version>.json), read once.

A check keeps the version it was taken with, so old results are always shown with the
questions and levels they were scored against.
"""

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CURRENT_VERSION = "v1"
CHECKS_DIR = Path(__file__).resolve().parent.parent / "data" / "checks"
_VERSION = re.compile(r"^v\d+$")  # a version names a file: never let it walk out of CHECKS_DIR


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
    topics: tuple[str, ...]
    measures: tuple[str, ...]


@dataclass(frozen=True)
class Dimension:
    key: str
    name: str
    description: str
    topics: tuple[str, ...]
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Questionnaire:
    version: str
    title: str
    scale: tuple[ScaleOption, ...]
    levels: tuple[Level, ...]  # ascending by min
    dimensions: tuple[Dimension, ...]

    @property
    def max_value(self) -> int:
        return max(option.value for option in self.scale)

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


def _item(raw: dict) -> Item:
    return Item(raw["key"], raw["text"], raw.get("help", ""), tuple(raw.get("topics", ())),
                tuple(raw.get("measures", ())))


def _dimension(raw: dict) -> Dimension:
    return Dimension(raw["key"], raw["name"], raw.get("description", ""), tuple(raw.get("topics", ())),
                     tuple(_item(item) for item in raw["items"]))


@cache
def load(version: str = CURRENT_VERSION) -> Questionnaire:
    """Read and check one questionnaire version; raises LookupError for an unknown version."""
    path = CHECKS_DIR / f"{version}.json"
    if not _VERSION.match(version) or not path.is_file():
        raise LookupError(f"unknown questionnaire version {version!r}")
    raw = json.loads(path.read_text(encoding="utf-8"))
    questionnaire = Questionnaire(
        version=raw["version"],
        title=raw["title"],
        scale=tuple(ScaleOption(s["value"], s["label"]) for s in raw["scale"]),
        levels=tuple(sorted((Level(lv["level"], lv["min"], lv["name"]) for lv in raw["levels"]),
                            key=lambda lv: lv.min)),
        dimensions=tuple(_dimension(d) for d in raw["dimensions"]),
    )
    keys = [item.key for item in questionnaire.items]
    if len(keys) != len(set(keys)) or questionnaire.version != version:
        raise ValueError(f"questionnaire {version}: item keys must be unique and the version must match the file")
    return questionnaire

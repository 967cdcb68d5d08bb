"""The chamber's name with its German grammar, for every text a business or partner reads.

German needs the article with the name: "die Handwerkskammer Münster sendet …", "am Programm der
Handwerkskammer Münster", "von der Handwerkskammer Münster". Every chamber of crafts is a "Kammer"
(feminine), so the forms default to die/der/der + CHAMBER_NAME; a chamber whose name reads otherwise
sets CHAMBER_NAME_NOMINATIVE, CHAMBER_NAME_DATIVE and CHAMBER_NAME_GENITIVE (each with its article).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ChamberName:
    name: str  # as on a letterhead: "Handwerkskammer Münster"
    nominative: str  # "die Handwerkskammer Münster" (subject of a sentence)
    dative: str  # "der Handwerkskammer Münster" (von/bei/mit …)
    genitive: str  # "der Handwerkskammer Münster" (das Programm …)

    def __str__(self) -> str:
        return self.name


def chamber_name(config: Mapping[str, Any]) -> ChamberName:
    """The configured name and its forms (the forms not configured follow from the name)."""
    name = config["CHAMBER_NAME"]
    return ChamberName(name, config.get("CHAMBER_NAME_NOMINATIVE") or f"die {name}",
                       config.get("CHAMBER_NAME_DATIVE") or f"der {name}",
                       config.get("CHAMBER_NAME_GENITIVE") or f"der {name}")

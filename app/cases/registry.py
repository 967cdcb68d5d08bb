"""What the other packages tell the cases package, registered in their init_app(app).

cases sits below checks, partners, workshops and scheduling, so it cannot import them. Instead it
owns this registry, one per app: the guards of the state machine (which record proves a
milestone), the panels of the case page, the labels of the timeline's event kinds, and the case
hooks that react to a case being opened, moved or reassigned, or to its business moving to another
municipality or trade. Nothing registers on import: a
package that is not initialised contributes nothing, and a guard that is missing fails loudly.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app

if TYPE_CHECKING:
    from app.cases.models import Business, Case, CaseEvent
    from app.cases.workflow import Move

KEY = "procheck.cases"

Guard = Callable[["Case"], bool]
OpenedHook = Callable[["Case", "CaseEvent"], None]
MovedHook = Callable[["Case", "Move", "CaseEvent"], None]
ReassignedHook = Callable[[list[tuple["Case", int]], int], None]  # (case, its old owner id) each, new owner id
BusinessMovedHook = Callable[["Business", int, int], None]  # business, old municipality id, old trade id


@dataclass(frozen=True)
class Panel:
    """A section of the case page: the owning package's template and the items it lists."""

    template: str
    heading_id: str  # the id of the panel's h2, which names its section
    items: Callable[["Case"], Any]
    order: int = 100
    slot: str = "records"  # "top" (notices), "wide" (a full-width section) or "records" (the grid)


@dataclass
class CaseRegistry:
    guards: dict[str, Guard] = field(default_factory=dict)
    panels: list[Panel] = field(default_factory=list)
    event_labels: dict[str, Any] = field(default_factory=dict)
    case_opened: list[OpenedHook] = field(default_factory=list)
    case_moved: list[MovedHook] = field(default_factory=list)
    case_reassigned: list[ReassignedHook] = field(default_factory=list)
    business_moved: list[BusinessMovedHook] = field(default_factory=list)

    def add_panel(self, panel: Panel) -> None:
        self.panels.append(panel)
        self.panels.sort(key=lambda p: p.order)


def init_app(app: Flask) -> CaseRegistry:
    return app.extensions.setdefault(KEY, CaseRegistry())


def of(app: Flask) -> CaseRegistry:
    """The registry to fill in a package's init_app (cases.init_app has created it)."""
    return app.extensions[KEY]


def current() -> CaseRegistry:
    return current_app.extensions[KEY]

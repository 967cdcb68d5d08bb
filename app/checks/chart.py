"""The geometry of the result chart: horizontal bars, 0–100 per dimension, drawn as inline SVG.

The template (templates/checks/_chart.html) only places what is computed here, so the chart needs
no script and no asset from anywhere, prints as sharply as it shows, and its numbers are also in
the table beside it.
"""

from dataclasses import dataclass

LABEL_WIDTH = 250  # room for "Baustelle, Werkstatt und Produktion" at 12px
BAR_WIDTH = 300  # 100 points
VALUE_WIDTH = 50
TOP = 34  # room for the axis labels (and the legend)
BAR_HEIGHT = 14
GAP = 4
ROW_PAD = 12
TICKS = (0, 25, 50, 75, 100)


@dataclass(frozen=True)
class Series:
    name: str  # shown in the legend when there are two series
    css_class: str
    values: dict[str, float | None]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: float | None
    css_class: str
    text_x: float


@dataclass(frozen=True)
class ChartRow:
    label: str
    label_y: float
    bars: list[Bar]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    label_width: int
    top: int
    rows: list[ChartRow]
    ticks: list[tuple[float, int]]  # (x, points)
    series: list[Series]


def bar_chart(dimensions: list[tuple[str, str]], series: list[Series]) -> Chart:
    """dimensions: (key, label) in order; series: one (a result) or two (first check and re-check)."""
    row_height = len(series) * (BAR_HEIGHT + GAP) - GAP + ROW_PAD
    rows = []
    for index, (key, label) in enumerate(dimensions):
        y0 = TOP + index * row_height + ROW_PAD / 2
        bars = []
        for s_index, s in enumerate(series):
            value = s.values.get(key)
            width = 0.0 if value is None else max(0.0, min(100.0, value)) / 100 * BAR_WIDTH
            y = y0 + s_index * (BAR_HEIGHT + GAP)
            bars.append(Bar(LABEL_WIDTH, y, round(width, 1), BAR_HEIGHT, value, s.css_class,
                            LABEL_WIDTH + width + 6))
        label_y = y0 + (len(series) * (BAR_HEIGHT + GAP) - GAP) / 2 + 4
        rows.append(ChartRow(label, label_y, bars))
    height = TOP + len(dimensions) * row_height + 8
    ticks = [(LABEL_WIDTH + tick / 100 * BAR_WIDTH, tick) for tick in TICKS]
    return Chart(LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH, round(height), LABEL_WIDTH, TOP, rows, ticks, series)

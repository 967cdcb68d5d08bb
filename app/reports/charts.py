"""The geometry of the funnel page's charts: horizontal bars, drawn as inline SVG by templates/reports/_bars.html.

As with the check result (app.checks.chart), the template only places what is computed here: no script, no
style attribute (CSS classes only, the CSP allows no inline style), no asset from another host; the numbers are
also in the table beside each chart.
"""

from dataclasses import dataclass

LABEL_WIDTH = 190
BAR_WIDTH = 330
VALUE_WIDTH = 80
TOP = 30
BAR_HEIGHT = 16
GAP = 3
ROW_PAD = 10
TICK_COUNT = 4


@dataclass(frozen=True)
class Series:
    name: str  # the legend's text (shown when there are two series)
    css_class: str
    values: list[float | None]  # one per row
    texts: list[str]  # what is written beside each bar


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    text: str
    text_x: float
    css_class: str


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
    ticks: list[tuple[float, str]]  # (x, text)
    series: list[Series]


def _nice_top(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above value (the scale's end)."""
    if value <= 0:
        return 1
    step = 1.0
    while step * 10 <= value:
        step *= 10
    while step > value * 10:
        step /= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10


def _tick_text(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".") if value >= 1 or value == 0 else f"{value:g}".replace(".", ",")


def bar_chart(labels: list[str], series: list[Series]) -> Chart:
    """Rows of bars on one scale from 0 to a round number at or above the largest value."""
    largest = max((v for s in series for v in s.values if v is not None), default=0)
    top_value = _nice_top(largest)
    row_height = len(series) * (BAR_HEIGHT + GAP) - GAP + ROW_PAD
    rows = []
    for index, label in enumerate(labels):
        y0 = TOP + index * row_height + ROW_PAD / 2
        bars = []
        for s_index, s in enumerate(series):
            value = s.values[index]
            width = 0.0 if value is None else max(0.0, value) / top_value * BAR_WIDTH
            y = y0 + s_index * (BAR_HEIGHT + GAP)
            bars.append(Bar(LABEL_WIDTH, y, round(width, 1), BAR_HEIGHT, s.texts[index],
                            round(LABEL_WIDTH + width + 5, 1), s.css_class))
        label_y = y0 + (len(series) * (BAR_HEIGHT + GAP) - GAP) / 2 + 4
        rows.append(ChartRow(label, label_y, bars))
    ticks = [(round(LABEL_WIDTH + i / TICK_COUNT * BAR_WIDTH, 1), _tick_text(top_value * i / TICK_COUNT))
             for i in range(TICK_COUNT + 1)]
    height = TOP + len(labels) * row_height + 6
    return Chart(LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH, round(height), LABEL_WIDTH, TOP, rows, ticks, series)


def funnel_chart(figures, number) -> Chart:
    """The cases of the period's cohorts that reached each milestone (`number` formats a count)."""
    counts = [step.count for step in figures.steps]
    return bar_chart([step.label for step in figures.steps],
                     [Series("", "bar-now", [float(c) for c in counts], [number(c) for c in counts])])


def stage_chart(figures, number, median_name: str, p80_name: str) -> Chart:
    """Median and 80th percentile of the days in each stage (`number` formats days)."""
    def texts(values):
        return ["–" if v is None else number(v) for v in values]

    medians = [stage.median for stage in figures.stages]
    p80s = [stage.p80 for stage in figures.stages]
    return bar_chart([stage.label for stage in figures.stages],
                     [Series(median_name, "bar-now", medians, texts(medians)),
                      Series(p80_name, "bar-before", p80s, texts(p80s))])

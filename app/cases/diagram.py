"""Pictures of the state machine, generated from workflow.MOVES: SVG for the help page, Mermaid for the README."""

from html import escape

from app.cases import workflow

# Sized for a tablet: the picture is about as wide as a 768 px screen's content, so its text is shown near 15 px.
BOX_W, BOX_H, GAP, TOP, DROP = 124, 56, 26, 70, 150
FONT, LINE = 16, 19


def _x(state: str) -> int:
    return 10 + workflow.ORDER.index(state) * (BOX_W + GAP)


def svg() -> str:
    """Forward moves as arrows between boxes in pipeline order (a skip arcs over the boxes between); below, every
    withdraw move (red, dashed) into "withdrawn" and the reopen move (green, dashed) back, all from MOVES."""
    width = 20 + len(workflow.ORDER) * (BOX_W + GAP) - GAP
    height = TOP + DROP + BOX_H + 10
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-labelledby="wf-title" class="diagram"><title id="wf-title">'
             f'{escape(", ".join(workflow.state_label(s) for s in workflow.STATES))}</title>',
             '<defs>' + "".join(
                 f'<marker id="arrow-{name}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
                 f'markerHeight="8" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
                 for name, colour in (("forward", "#333"), ("withdraw", "#a4161a"), ("reopen", "#1d6b35")))
             + '</defs>']
    for state in workflow.ORDER:
        parts.append(_box(_x(state), TOP, state))
    withdrawn_x, withdrawn_y = (width - BOX_W) // 2, TOP + DROP
    parts.append(_box(withdrawn_x, withdrawn_y, workflow.WITHDRAWN))
    forward = [m for m in workflow.MOVES if m.kind == "forward"]
    for move in forward:
        x1, x2 = _x(move.source) + BOX_W, _x(move.target)
        if workflow.ORDER.index(move.target) - workflow.ORDER.index(move.source) == 1:
            parts.append(f'<line x1="{x1}" y1="{TOP + BOX_H // 2}" x2="{x2}" y2="{TOP + BOX_H // 2}" '
                         'stroke="#333" stroke-width="1.5" marker-end="url(#arrow-forward)"/>')
        else:  # a skip (e.g. check done -> referred) arcs over the boxes in between
            x1 -= BOX_W // 2
            x2 += BOX_W // 2
            lift = 18 * (workflow.ORDER.index(move.target) - workflow.ORDER.index(move.source))
            parts.append(f'<path d="M{x1},{TOP} C{x1},{TOP - lift} {x2},{TOP - lift} {x2},{TOP}" fill="none" '
                         'stroke="#555" marker-end="url(#arrow-forward)"/>')
    withdraws = [m for m in workflow.MOVES if m.kind == "withdraw"]
    for i, move in enumerate(withdraws):  # each open state's own arrow, meeting the box side by side
        end_x = withdrawn_x + BOX_W * (i + 1) // (len(withdraws) + 2)
        parts.append(f'<line x1="{_x(move.source) + BOX_W // 2}" y1="{TOP + BOX_H}" x2="{end_x}" y2="{withdrawn_y}" '
                     'stroke="#a4161a" stroke-dasharray="5 3" marker-end="url(#arrow-withdraw)"/>')
    for move in (m for m in workflow.MOVES if m.kind == "reopen"):
        start_x, start_y = withdrawn_x, withdrawn_y + BOX_H // 2
        end_x = _x(move.target) + BOX_W // 4
        parts.append(f'<path d="M{start_x},{start_y} C{end_x},{start_y} {end_x},{start_y} {end_x},{TOP + BOX_H}" '
                     'fill="none" stroke="#1d6b35" stroke-dasharray="5 3" marker-end="url(#arrow-reopen)"/>')
    parts.append("</svg>")
    return "".join(parts)


def _box(x: int, y: int, state: str) -> str:
    """A state's box; a label of two words or more breaks after the first, so that it fits the box."""
    words = str(workflow.state_label(state)).split(" ", 1)
    first_y = y + BOX_H // 2 + 5 - (LINE // 2 if len(words) > 1 else 0)
    lines = "".join(f'<tspan x="{x + BOX_W // 2}" y="{first_y + i * LINE}">{escape(word)}</tspan>'
                    for i, word in enumerate(words))
    return (f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="#fff" stroke="#8a1c1c"/>'
            f'<text text-anchor="middle" font-size="{FONT}" fill="#1a1a1a">{lines}</text>')


def mermaid() -> str:
    """The same picture as Mermaid text (GitHub renders it in the README)."""
    lines = ["stateDiagram-v2", f"    [*] --> {workflow.INITIAL}"]
    for move in workflow.MOVES:
        if move.kind == "correct":
            continue
        lines.append(f"    {move.source} --> {move.target}: {move.requires}")
    lines.append("    note right of implemented: the team lead may move any case back, with a reason")
    return "\n".join(lines)

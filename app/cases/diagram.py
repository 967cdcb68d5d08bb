"""Pictures of the state machine, generated from workflow.MOVES: SVG for the help page, Mermaid for the README."""

from html import escape

from app.cases import workflow

BOX_W, BOX_H, GAP, TOP = 150, 46, 40, 70


def _x(state: str) -> int:
    return 10 + workflow.ORDER.index(state) * (BOX_W + GAP)


def svg() -> str:
    """Forward moves as arrows between boxes in pipeline order; withdraw/reopen to the box below."""
    width = 20 + len(workflow.ORDER) * (BOX_W + GAP) - GAP
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 250" role="img" '
             f'aria-labelledby="wf-title" class="diagram"><title id="wf-title">'
             f'{escape(", ".join(workflow.state_label(s) for s in workflow.STATES))}</title>',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" '
             'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>']
    for state in workflow.ORDER:
        parts.append(_box(_x(state), TOP, state))
    withdrawn_x = (width - BOX_W) // 2
    parts.append(_box(withdrawn_x, TOP + 120, workflow.WITHDRAWN))
    for move in workflow.MOVES:
        if move.kind != "forward":
            continue
        x1, x2 = _x(move.source) + BOX_W, _x(move.target)
        if workflow.ORDER.index(move.target) - workflow.ORDER.index(move.source) == 1:
            parts.append(f'<line x1="{x1}" y1="{TOP + BOX_H // 2}" x2="{x2}" y2="{TOP + BOX_H // 2}" '
                         'stroke="#333" marker-end="url(#arrow)"/>')
        else:  # a skip (e.g. check done -> referred) arcs over the boxes in between
            x1 -= BOX_W // 2
            x2 += BOX_W // 2
            lift = 18 * (workflow.ORDER.index(move.target) - workflow.ORDER.index(move.source))
            parts.append(f'<path d="M{x1},{TOP} C{x1},{TOP - lift} {x2},{TOP - lift} {x2},{TOP}" fill="none" '
                         'stroke="#777" marker-end="url(#arrow)"/>')
    mid = withdrawn_x + BOX_W // 2
    parts.append(f'<line x1="{mid - 20}" y1="{TOP + BOX_H}" x2="{mid - 20}" y2="{TOP + 120}" stroke="#a4161a" '
                 'stroke-dasharray="4" marker-end="url(#arrow)"/>')
    parts.append(f'<line x1="{mid + 20}" y1="{TOP + 120}" x2="{_x(workflow.INITIAL) + BOX_W // 2}" '
                 f'y2="{TOP + BOX_H}" stroke="#1d6b35" stroke-dasharray="4" marker-end="url(#arrow)"/>')
    parts.append("</svg>")
    return "".join(parts)


def _box(x: int, y: int, state: str) -> str:
    return (f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="#fff" stroke="#8a1c1c"/>'
            f'<text x="{x + BOX_W // 2}" y="{y + BOX_H // 2 + 5}" text-anchor="middle" font-size="14" '
            f'fill="#1a1a1a">{escape(workflow.state_label(state))}</text>')


def mermaid() -> str:
    """The same picture as Mermaid text (GitHub renders it in the README)."""
    lines = ["stateDiagram-v2", f"    [*] --> {workflow.INITIAL}"]
    for move in workflow.MOVES:
        if move.kind == "correct":
            continue
        lines.append(f"    {move.source} --> {move.target}: {move.requires}")
    lines.append("    note right of implemented: the team lead may move any case back, with a reason")
    return "\n".join(lines)

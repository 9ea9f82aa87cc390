"""The provenance graph (who copied whom) as a small server-rendered SVG: a layered layout, no JavaScript.

Originals sit on the top row; an article copied from another sits one row below its source (longest path from
an original). Edges are arrows from source to copy: solid green when the copy names its source (attributed),
dashed red when it does not, grey without a known direction. Every label is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

NODE_W, NODE_H, GAP_X, GAP_Y, PAD = 176, 46, 34, 78, 18
MAX_PER_ROW = 5


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    label: str
    sub: str = ""  # second line: date, origin group
    href: str | None = None
    external: bool = False  # a source named in the text but not in the corpus
    flagged: bool = False  # spun or otherwise flagged


@dataclass(frozen=True, slots=True)
class Edge:
    source: str  # the original (or either side when not directed)
    target: str  # the copy
    relation: str
    attributed: bool = False
    directed: bool = True


def _layers(nodes: Sequence[Node], edges: Sequence[Edge]) -> dict[str, int]:
    """Depth of each node = longest chain of directed edges above it, after dropping the edges that close a cycle."""
    depth = {n.id: 0 for n in nodes}
    out: dict[str, list[Edge]] = {}
    indegree = dict.fromkeys(depth, 0)
    for e in edges:
        if e.directed and e.source in depth and e.target in depth and e.source != e.target:
            out.setdefault(e.source, []).append(e)
            indegree[e.target] += 1
    directed, state = [], {}  # state: 1 = on the DFS path, 2 = done
    for root in sorted(depth, key=lambda n: indegree[n] > 0):  # start from originals
        stack = [(root, iter(out.get(root, [])))]
        state.setdefault(root, 1)
        if state[root] == 2:
            continue
        while stack:
            node, it = stack[-1]
            e = next(it, None)
            if e is None:
                state[node] = 2
                stack.pop()
            elif state.get(e.target) != 1:  # an edge back onto the path would close a cycle: skip it
                directed.append(e)
                if e.target not in state:
                    state[e.target] = 1
                    stack.append((e.target, iter(out.get(e.target, []))))
    for _ in range(len(nodes)):
        changed = False
        for e in directed:
            if depth[e.target] < depth[e.source] + 1 <= len(nodes):
                depth[e.target] = depth[e.source] + 1
                changed = True
        if not changed:
            break
    return depth


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_svg(nodes: Sequence[Node], edges: Sequence[Edge]) -> Markup:
    """The graph as an inline ``<svg>`` element (empty Markup when there are no nodes)."""
    if not nodes:
        return Markup("")
    depth = _layers(nodes, edges)
    layers: dict[int, list[Node]] = {}
    for n in nodes:
        layers.setdefault(depth[n.id], []).append(n)
    # a wide layer wraps onto several rows, so the drawing stays readable at page width
    rows: dict[int, list[Node]] = {}
    for level in sorted(layers):
        members = sorted(layers[level], key=lambda n: n.external)  # articles first, named sources after
        for i in range(0, len(members), MAX_PER_ROW):
            rows[len(rows)] = members[i:i + MAX_PER_ROW]
    pos: dict[str, tuple[float, float]] = {}
    widest = max(len(r) for r in rows.values())
    width = PAD * 2 + widest * NODE_W + (widest - 1) * GAP_X
    for level in sorted(rows):
        row = rows[level]
        if level:  # order a row by the mean position of its sources, so arrows cross less
            def key(n: Node) -> float:
                xs = [pos[e.source][0] for e in edges if e.target == n.id and e.source in pos]
                return sum(xs) / len(xs) if xs else width
            row.sort(key=key)
        row_w = len(row) * NODE_W + (len(row) - 1) * GAP_X
        x0 = (width - row_w) / 2
        for i, n in enumerate(row):
            pos[n.id] = (x0 + i * (NODE_W + GAP_X), PAD + level * (NODE_H + GAP_Y))
    height = PAD * 2 + (max(rows) + 1) * NODE_H + max(rows) * GAP_Y + 14
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" viewBox="0 0 {width:.0f} {height:.0f}" '
           f'width="{width:.0f}" height="{height:.0f}" role="img" aria-label="Provenance graph: who copied whom">',
           "<defs>"]
    for name, colour in (("att", "#2e7d32"), ("unatt", "#c62828")):
        out.append(f'<marker id="arrow-{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
                   f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/>'
                   "</marker>")
    out.append("</defs>")
    for e in edges:
        if e.source not in pos or e.target not in pos or e.source == e.target:
            continue
        (x1, y1), (x2, y2) = pos[e.source], pos[e.target]
        if not e.directed:
            colour, dash, marker = "#8a8f98", ' stroke-dasharray="2 4"', ""
        elif e.attributed:
            colour, dash, marker = "#2e7d32", "", ' marker-end="url(#arrow-att)"'
        else:
            colour, dash, marker = "#c62828", ' stroke-dasharray="7 5"', ' marker-end="url(#arrow-unatt)"'
        if y1 == y2:  # same row: arc above the boxes
            sx, ex, y = x1 + NODE_W / 2, x2 + NODE_W / 2, y1
            mx, my = (sx + ex) / 2, y - 36
            d, lx, ly = f"M{sx:.0f},{y:.0f} Q{mx:.0f},{my:.0f} {ex:.0f},{y:.0f}", mx, my + 14
        else:
            if y1 > y2:
                (x1, y1), (x2, y2) = (x2, y2), (x1, y1)
            sx, sy, ex, ey = x1 + NODE_W / 2, y1 + NODE_H, x2 + NODE_W / 2, y2 - 2
            d, lx, ly = f"M{sx:.0f},{sy:.0f} L{ex:.0f},{ey:.0f}", (sx + ex) / 2, (sy + ey) / 2
        label = e.relation.replace("_", " ") + (" · attributed" if e.attributed and e.directed else
                                                 " · unattributed" if e.directed else "")
        out.append(f'<g class="edge"><title>{escape(label)}</title><path d="{d}" fill="none" stroke="{colour}" '
                   f'stroke-width="2"{dash}{marker}/>'
                   f'<text x="{lx:.0f}" y="{ly:.0f}" text-anchor="middle" font-size="11" fill="{colour}" '
                   f'stroke="#ffffff" stroke-width="3" paint-order="stroke">{escape(e.relation.replace("_", " "))}'
                   "</text></g>")
    for n in nodes:
        x, y = pos[n.id]
        fill = "#fff4f4" if n.flagged else "#f4f7fb"
        stroke = "#c62828" if n.flagged else "#4a5a70"
        dash = ' stroke-dasharray="4 3"' if n.external else ""
        box = (f'<rect x="{x:.0f}" y="{y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="7" fill="{fill}" '
               f'stroke="{stroke}" stroke-width="1.4"{dash}/>'
               f'<text x="{x + NODE_W / 2:.0f}" y="{y + 19:.0f}" text-anchor="middle" font-size="13" '
               f'font-weight="600" fill="#1d2633">{escape(_trim(n.label, 24))}</text>'
               f'<text x="{x + NODE_W / 2:.0f}" y="{y + 36:.0f}" text-anchor="middle" font-size="11" '
               f'fill="#5b6675">{escape(_trim(n.sub, 30))}</text>')
        tip = f"<title>{escape(n.label)}</title>"
        if n.href:
            out.append(f'<a href="{escape(n.href)}" class="node">{tip}{box}</a>')
        else:
            out.append(f'<g class="node">{tip}{box}</g>')
    out.append("</svg>")
    return Markup("".join(out))

"""A picture of an automation class, drawn from its declaration: layout and SVG.

Pure: ``build_diagram(cls)`` reads only ``cls._meta`` (no database, no clock) and
places every node on a grid, declaration order from top to bottom, the paths of a
``Split`` and the branches of an ``If`` side by side. ``render_svg(diagram, ...)``
draws it as SVG text, every name and label escaped, nothing loaded from elsewhere.

Forward edges (to a node declared later) run down between the rows; an edge that
would cross a box detours through the gap right of the columns. Edges going back
up (``Repeat``, a ``.Next`` or ``.OnError`` to an earlier node) run through a gutter
on the left, each in a lane of its own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .nodes import End, Execute, Form, If, Join, Node, Repeat, SendMessage, Split
from .references import Value

BOX_W, BOX_H = 184, 58
GAP_X, GAP_Y = 44, 40
COL_W, ROW_H = BOX_W + GAP_X, BOX_H + GAP_Y
MARGIN = 16
BACK_LANE = 10  # width of one lane of the left gutter
NAME_CHARS, DETAIL_CHARS = 24, 30

#: Edge labels drawn on the picture (``next`` and ``branch`` go without saying).
LABEL_TEXT = {
    "then": gettext_lazy("then"),
    "else": gettext_lazy("else"),
    "error": gettext_lazy("on error"),
    "repeat": gettext_lazy("repeat"),
    "skip": gettext_lazy("skip"),
}


@dataclass(frozen=True)
class DiagramNode:
    name: str
    kind: str  # css kind: execute, if, form, split, join, repeat, end, message, node
    type_name: str
    marks: tuple[str, ...]
    description: str
    rank: int
    column: int
    #: Waits for a time or a condition (drawn with a dashed border).
    waits: bool = False

    @property
    def x(self) -> int:
        return self.column * COL_W

    @property
    def y(self) -> int:
        return self.rank * ROW_H


@dataclass(frozen=True)
class DiagramEdge:
    source: str
    target: str
    labels: tuple[str, ...]

    @property
    def shown_labels(self) -> tuple[str, ...]:
        return tuple(label for label in self.labels if label in LABEL_TEXT)


@dataclass
class Diagram:
    """Nodes placed on a grid (``rank`` = row, ``column``) and the edges between them."""

    title: str
    nodes: dict[str, DiagramNode] = field(default_factory=dict)
    edges: list[DiagramEdge] = field(default_factory=list)

    def is_back(self, edge: DiagramEdge) -> bool:
        """An edge that goes up (or stays on its row): drawn through the left gutter."""
        return self.nodes[edge.target].rank <= self.nodes[edge.source].rank

    @property
    def back_edges(self) -> list[DiagramEdge]:
        return [edge for edge in self.edges if self.is_back(edge)]

    @property
    def columns(self) -> int:
        return 1 + max((node.column for node in self.nodes.values()), default=0)

    @property
    def ranks(self) -> int:
        return 1 + max((node.rank for node in self.nodes.values()), default=0)


# Building --------------------------------------------------------------------------


def _edges_of(nodes: dict[str, Node]) -> list[DiagramEdge]:
    """Every edge of the flow graph; parallel edges are merged with their labels."""
    labels: dict[tuple[str, str], list[str]] = {}
    for name, node in nodes.items():
        edges = list(node.successors())
        if node.gates.skip_if or node.gates.skip_after is not None:
            edges += [("skip", target) for target in node.skip_targets()]
        for label, target in edges:
            if target is None or target not in nodes:
                continue  # runs past the end or names nothing: the checks report it
            seen = labels.setdefault((name, target), [])
            if label not in seen:
                seen.append(label)
    return [DiagramEdge(source, target, tuple(found)) for (source, target), found in labels.items()]


def build_diagram(automation_class: type) -> Diagram:
    """Lay out ``automation_class``'s nodes and edges (reads only ``_meta``)."""
    meta = automation_class._meta
    nodes: dict[str, Node] = dict(meta.nodes)
    names = list(nodes)
    order = {name: position for position, name in enumerate(names)}
    edges = _edges_of(nodes)

    forward_preds: dict[str, list[str]] = defaultdict(list)
    forward_succs: dict[str, list[str]] = defaultdict(list)
    for edge in edges:
        if order[edge.target] > order[edge.source]:
            forward_preds[edge.target].append(edge.source)
            forward_succs[edge.source].append(edge.target)

    rank: dict[str, int] = {}
    for position, name in enumerate(names):
        preds = forward_preds[name]
        if preds:
            rank[name] = 1 + max(rank[pred] for pred in preds)
        else:  # the first node, or one reached only from below (or not at all)
            rank[name] = 0 if position == 0 else rank[names[position - 1]] + 1

    column: dict[str, int] = {}
    taken: set[tuple[int, int]] = set()
    for name in sorted(names, key=lambda name: (rank[name], order[name])):
        preds = forward_preds[name]
        if not preds:
            wanted = 0
        elif len(preds) == 1:
            pred = preds[0]
            wanted = column[pred] + forward_succs[pred].index(name)
        else:  # where paths meet: under the leftmost of them
            wanted = min(column[pred] for pred in preds)
        while (rank[name], wanted) in taken:
            wanted += 1
        taken.add((rank[name], wanted))
        column[name] = wanted

    diagram = Diagram(title=str(automation_class.get_verbose_name()), edges=edges)
    for name, node in nodes.items():
        diagram.nodes[name] = DiagramNode(
            name=name,
            kind=node_kind(node),
            type_name=type(node).__name__,
            marks=node_marks(node),
            description=str(node.description or ""),
            rank=rank[name],
            column=column[name],
            waits=node.gates.wait is not None or bool(node.gates.conditions),
        )
    return diagram


def node_kind(node: Node) -> str:
    for kind, node_type in (
        ("form", Form),
        ("if", If),
        ("execute", Execute),
        ("split", Split),
        ("join", Join),
        ("repeat", Repeat),
        ("end", End),
        ("message", SendMessage),
    ):
        if isinstance(node, node_type):
            return kind
    return "node"


def duration_text(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    if seconds and seconds % 86400 == 0:
        days = seconds // 86400
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    if seconds and seconds % 3600 == 0:
        hours = seconds // 3600
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    if seconds and seconds % 60 == 0:
        minutes = seconds // 60
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}


def _constant(ref: Any) -> Any:
    return ref.value if isinstance(ref, Value) else None


def node_marks(node: Node) -> tuple[str, ...]:
    """Short notes on what a node waits for, in the order a reader needs them."""
    marks: list[str] = []
    gates = node.gates
    if isinstance(node, Form):
        marks.append(_("waits for a person"))
    if gates.wait is not None:
        value = _constant(gates.wait)
        if gates.wait_kind == "for" and isinstance(value, timedelta):
            marks.append(_("waits %(duration)s") % {"duration": duration_text(value)})
        elif gates.wait_kind == "for":
            marks.append(_("waits a while"))
        else:
            marks.append(_("waits until a time"))
    if gates.conditions:
        marks.append(_("waits for a condition"))
    if gates.skip_if:
        marks.append(_("may be skipped"))
    if gates.skip_after is not None:
        value = _constant(gates.skip_after)
        if isinstance(value, timedelta):
            marks.append(_("skipped after %(duration)s") % {"duration": duration_text(value)})
        else:
            marks.append(_("skipped after a while"))
    if isinstance(node, Join):
        marks.append(_("waits for every path"))
    if isinstance(node, Repeat):
        marks.append(repeat_text(node))
    if isinstance(node, SendMessage):
        marks.append(_("sends %(message)s") % {"message": node.message})
    if isinstance(node, Execute) and node.threaded:
        marks.append(_("in the background"))
    return tuple(marks)


def repeat_text(node: Repeat) -> str:
    spec = node.spec
    at = f"{spec.at[0]:02d}:{spec.at[1]:02d}" if spec.at else None
    if spec.unit == "minutes":
        every = ngettext("every minute", "every %(n)d minutes", spec.every) % {"n": spec.every}
    elif spec.unit == "hours":
        every = ngettext("every hour", "every %(n)d hours", spec.every) % {"n": spec.every}
    elif spec.unit == "days" or at:
        every = ngettext("every day", "every %(n)d days", spec.every) % {"n": spec.every}
    else:
        return _("repeats")
    return _("%(every)s at %(time)s") % {"every": every, "time": at} if at else every


# Drawing ---------------------------------------------------------------------------

STYLE = """
.atm-diagram{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
.atm-box{fill:#fff;stroke:#8a94a6;stroke-width:1.2}
.atm-kind-form .atm-box{fill:#fff8e6;stroke:#c98a00}
.atm-kind-if .atm-box{fill:#f1f5ff;stroke:#5470c6}
.atm-kind-split .atm-box,.atm-kind-join .atm-box{fill:#eef7f1;stroke:#3b8c5a}
.atm-kind-repeat .atm-box{fill:#f6f0ff;stroke:#7a4fc4}
.atm-kind-end .atm-box{fill:#2f3542;stroke:#2f3542}
.atm-kind-end text{fill:#fff}
.atm-waits .atm-box{stroke-dasharray:5 3}
.atm-current .atm-box{stroke:#0b63ce;stroke-width:3.5;fill:#e3efff}
.atm-failed .atm-box{stroke:#c62828;stroke-width:3.5;fill:#fde8e8}
.atm-name{font-size:13px;font-weight:600;fill:#1d2330}
.atm-type{font-size:11px;fill:#4a5263}
.atm-marks{font-size:11px;fill:#7a5200;font-style:italic}
.atm-badge rect{fill:#0b63ce}
.atm-failed .atm-badge rect{fill:#c62828}
.atm-note{font-size:10.5px;font-weight:600;fill:#fff}
.atm-edge{fill:none;stroke:#8a94a6;stroke-width:1.4}
.atm-edge-error{stroke:#c62828;stroke-dasharray:5 3}
.atm-edge-repeat{stroke:#7a4fc4}
.atm-edge-skip{stroke-dasharray:2 3}
.atm-label{font-size:10.5px;fill:#4a5263;paint-order:stroke;stroke:#fff;stroke-width:3px}
.atm-label-error{fill:#c62828}
.atm-label-repeat{fill:#7a4fc4}
"""

ARROWS = {"plain": "#8a94a6", "error": "#c62828", "repeat": "#7a4fc4"}


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _arrow(edge: DiagramEdge) -> str:
    for label in ("error", "repeat"):
        if label in edge.labels:
            return label
    return "plain"


class _Canvas:
    """Coordinates of one diagram: the left gutter holds the back edges."""

    def __init__(self, diagram: Diagram):
        self.diagram = diagram
        self.back = diagram.back_edges
        # The left gutter: a lane per back edge, and room for their labels.
        self.left = MARGIN + (BACK_LANE * (len(self.back) + 1) + 48 if self.back else 0)
        # Room above the first row for badges, and for back edges into it.
        self.top = MARGIN + GAP_Y // 2
        self.width = self.left + diagram.columns * COL_W + MARGIN
        self.height = self.top + diagram.ranks * ROW_H + MARGIN

    def box(self, name: str) -> tuple[int, int]:
        node = self.diagram.nodes[name]
        return self.left + node.x, self.top + node.y

    def centre_x(self, name: str) -> int:
        return self.box(name)[0] + BOX_W // 2

    def path(self, edge: DiagramEdge, lane: int) -> tuple[str, tuple[float, float], str]:
        """SVG path data, where the label goes, and its text-anchor."""
        sx, sy = self.centre_x(edge.source), self.box(edge.source)[1] + BOX_H
        tx, ty = self.centre_x(edge.target), self.box(edge.target)[1]
        below, above = sy + GAP_Y // 2, ty - GAP_Y // 2
        if self.diagram.is_back(edge):
            gx = self.left - BACK_LANE * (lane + 1)
            shift = 3 * (lane % 4)
            if self._col(edge.source) == 0:  # leave by the left side, straight to the gutter
                bx, by = self.box(edge.source)
                mid = by + BOX_H // 2 + shift
                data = f"M{bx},{mid} H{gx} V{above - shift} H{tx} V{ty}"
                return data, (bx - 4, mid - 4), "end"
            data = f"M{sx},{sy} V{below + shift} H{gx} V{above - shift} H{tx} V{ty}"
            return data, (sx - 6, below + shift - 4), "end"
        obstacles = self._obstacles(edge)
        if not obstacles:
            bend = (ty - sy) / 2
            data = f"M{sx},{sy} C{sx},{sy + bend} {tx},{ty - bend} {tx},{ty}"
            return data, ((sx + tx) / 2 + 5, (sy + ty) / 2), "start"
        right = max([*obstacles, self.diagram.nodes[edge.source].column, self._col(edge.target)])
        gx = self.left + right * COL_W + BOX_W + GAP_X // 2 + 3 * (lane % 4)
        data = f"M{sx},{sy} V{below} H{gx} V{above} H{tx} V{ty}"
        # On the way out, clear of the label of an edge going straight down.
        return data, ((sx + gx) / 2, below - 4), "middle"

    def _col(self, name: str) -> int:
        return self.diagram.nodes[name].column

    def _obstacles(self, edge: DiagramEdge) -> list[int]:
        """Columns of the boxes a straight edge would cross."""
        nodes = self.diagram.nodes
        source, target = nodes[edge.source], nodes[edge.target]
        low, high = sorted((source.column, target.column))
        return [
            node.column
            for node in nodes.values()
            if source.rank < node.rank < target.rank and low <= node.column <= high
        ]


def render_svg(
    diagram: Diagram,
    *,
    current: Any = (),
    failed: Any = (),
    notes: dict[str, str] | None = None,
    id_prefix: str = "atm",
) -> SafeString:
    """The diagram as an inline ``<svg>``.

    ``current``: names of the nodes an instance stands at (highlighted); ``failed``:
    nodes where it stopped with an error; ``notes``: a short text under a node (e.g.
    its next wake time). ``id_prefix`` keeps ids unique with several diagrams a page.
    """
    canvas = _Canvas(diagram)
    current, failed, notes = set(current), set(failed), dict(notes or {})
    markers = format_html_join(
        "",
        '<marker id="{}-arrow-{}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="{}"/></marker>',
        ((id_prefix, name, colour) for name, colour in ARROWS.items()),
    )
    edges = []
    back_lane = {id(edge): lane for lane, edge in enumerate(canvas.back)}
    for position, edge in enumerate(diagram.edges):
        data, (lx, ly), anchor = canvas.path(edge, back_lane.get(id(edge), position))
        classes = " ".join(["atm-edge", *(f"atm-edge-{label}" for label in edge.labels)])
        label = ", ".join(str(LABEL_TEXT[text]) for text in edge.shown_labels)
        text = ""
        if label:
            text = format_html(
                '<text class="atm-label atm-label-{}" x="{}" y="{}" text-anchor="{}">{}</text>',
                _arrow(edge),
                round(lx, 1),
                round(ly, 1),
                anchor,
                label,
            )
        edges.append(
            format_html(
                '<g class="atm-link" data-source="{}" data-target="{}"><path class="{}" d="{}" '
                'marker-end="url(#{}-arrow-{})"/>{}</g>',
                edge.source,
                edge.target,
                classes,
                data,
                id_prefix,
                _arrow(edge),
                text,
            )
        )
    boxes = [
        _node_svg(canvas, node, node.name in current, node.name in failed, notes.get(node.name))
        for node in diagram.nodes.values()
    ]
    return format_html(
        '<svg class="atm-diagram" xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" '
        'viewBox="0 0 {} {}" role="img" aria-label="{}"><title>{}</title>'
        "<style>{}</style><defs>{}</defs>{}{}</svg>",
        canvas.width,
        canvas.height,
        canvas.width,
        canvas.height,
        _("Flow diagram of %(name)s") % {"name": diagram.title},
        diagram.title,
        mark_safe(STYLE),  # a constant of this module
        markers,
        mark_safe("".join(edges)),
        mark_safe("".join(boxes)),
    )


def _node_svg(
    canvas: _Canvas, node: DiagramNode, is_current: bool, is_failed: bool, note: str | None
) -> str:
    x, y = canvas.box(node.name)
    classes = ["atm-node", f"atm-kind-{node.kind}"]
    if node.waits:
        classes.append("atm-waits")
    if is_current:
        classes.append("atm-current")
    if is_failed:
        classes.append("atm-failed")
    tooltip = "\n".join(
        part for part in (f"{node.name} ({node.type_name})", node.description, *node.marks) if part
    )
    radius = 22 if node.kind == "end" else 7
    detail = "; ".join(node.marks)
    parts = [
        format_html(
            '<rect class="atm-box" x="{}" y="{}" width="{}" height="{}" rx="{}"/>',
            x,
            y,
            BOX_W,
            BOX_H,
            radius,
        ),
        format_html(
            '<text class="atm-name" x="{}" y="{}">{}</text>',
            x + 10,
            y + 19,
            _cut(node.name, NAME_CHARS),
        ),
        format_html(
            '<text class="atm-type" x="{}" y="{}">{}</text>',
            x + 10,
            y + 34,
            _cut(
                f"{node.type_name} · {node.description}" if node.description else node.type_name,
                DETAIL_CHARS,
            ),
        ),
    ]
    if detail:
        parts.append(
            format_html(
                '<text class="atm-marks" x="{}" y="{}">{}</text>',
                x + 10,
                y + 49,
                _cut(detail, DETAIL_CHARS),
            )
        )
    if note:  # a badge on the top right corner, clear of the arrows entering the middle
        width = round(14 + 6.4 * len(note))
        parts.append(
            format_html(
                '<g class="atm-badge"><rect x="{}" y="{}" width="{}" height="18" rx="9"/>'
                '<text class="atm-note" x="{}" y="{}" text-anchor="middle">{}</text></g>',
                x + BOX_W - width + 6,
                y - 11,
                width,
                x + BOX_W - width / 2 + 6,
                y + 2,
                note,
            )
        )
    return format_html(
        '<g class="{}" data-node="{}"><title>{}</title>{}</g>',
        " ".join(classes),
        node.name,
        tooltip,
        mark_safe("".join(parts)),
    )


def automation_svg(automation_class: type, **kwargs: Any) -> SafeString:
    """``render_svg(build_diagram(automation_class), **kwargs)``."""
    return render_svg(build_diagram(automation_class), **kwargs)


__all__ = [
    "Diagram",
    "DiagramEdge",
    "DiagramNode",
    "automation_svg",
    "build_diagram",
    "render_svg",
]

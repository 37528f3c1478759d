"""The flow diagram: a layout computed from the declaration, drawn as escaped SVG.

No database: ``build_diagram`` and ``render_svg`` read only the class's ``_meta``.
"""

import re
from datetime import timedelta
from xml.etree import ElementTree

from django import forms

from automations import flow
from automations.diagram import build_diagram, render_svg
from automations.flow import this

SVG = "{http://www.w3.org/2000/svg}"


class NoteForm(forms.Form):
    note = forms.CharField()


class Linear(flow.Automation):
    start = flow.Execute()
    middle = flow.Execute().AfterWaitingFor(timedelta(days=3))
    end = flow.End()


class Hiring(flow.Automation):
    start = flow.Split().Next(this.references).Next(this.contract)
    references = flow.Execute().AfterWaitingFor(timedelta(days=2))
    references_done = flow.Execute().Next(this.ready)
    contract = flow.Split().Next(this.legal).Next(this.payroll)
    legal = flow.Execute().Next(this.contract_ready)
    payroll = flow.Execute().Next(this.contract_ready)
    contract_ready = flow.Join().Next(this.ready)
    ready = flow.Join()
    end = flow.End()


class Approval(flow.Automation):
    ask = flow.Form(NoteForm, description="Approve <b>this</b> & that").Group(name="Boss")
    decide = flow.If(this.approved).Then(this.pay).Else(this.end)
    pay = flow.Execute(this.do_pay).OnError(this.ask)
    end = flow.End()

    def approved(self, task):
        return True

    def do_pay(self, task):
        pass


class Nightly(flow.Automation):
    start = flow.Execute()
    report = flow.Execute(this.send).SkipIf(this.nothing_new).AsSoonAs(this.ready)
    again = flow.Repeat(this.report).At(21, 0)

    def send(self, task):
        pass

    def nothing_new(self, task):
        return False

    def ready(self, task):
        return True


def test_nodes_are_laid_out_top_to_bottom_in_declaration_order():
    diagram = build_diagram(Linear)
    assert [(node.name, node.rank, node.column) for node in diagram.nodes.values()] == [
        ("start", 0, 0),
        ("middle", 1, 0),
        ("end", 2, 0),
    ]
    assert [(edge.source, edge.target, edge.labels) for edge in diagram.edges] == [
        ("start", "middle", ("next",)),
        ("middle", "end", ("next",)),
    ]
    assert diagram.nodes["middle"].marks == ("waits 3 days",)
    assert diagram.nodes["middle"].waits


def test_the_paths_of_a_split_stand_side_by_side_and_meet_at_their_join():
    nodes = build_diagram(Hiring).nodes
    place = {name: (node.rank, node.column) for name, node in nodes.items()}
    assert place["references"][0] == place["contract"][0]  # same row...
    assert place["references"][1] != place["contract"][1]  # ...different columns
    assert place["legal"][0] == place["payroll"][0] and place["legal"] != place["payroll"]
    assert place["contract_ready"][0] > place["legal"][0]
    assert place["ready"][0] > max(place["contract_ready"][0], place["references_done"][0])
    assert place["end"][0] > place["ready"][0]
    assert nodes["start"].kind == "split" and nodes["ready"].kind == "join"
    assert "waits for every path" in nodes["ready"].marks


def test_if_branches_error_edges_and_forms_are_drawn_with_their_labels():
    diagram = build_diagram(Approval)
    edges = {(edge.source, edge.target): edge.labels for edge in diagram.edges}
    assert edges[("decide", "pay")] == ("then",)
    assert edges[("decide", "end")] == ("else",)
    assert edges[("pay", "ask")] == ("error",)
    assert diagram.is_back(next(e for e in diagram.edges if e.labels == ("error",)))
    ask = diagram.nodes["ask"]
    assert ask.kind == "form" and ask.marks == ("waits for a person",)
    svg = str(render_svg(diagram))
    assert "on error" in svg and ">then<" in svg and ">else<" in svg
    assert 'class="atm-edge atm-edge-error"' in svg


def test_repeat_loops_skips_and_conditions_are_marked():
    diagram = build_diagram(Nightly)
    edges = {(edge.source, edge.target): edge.labels for edge in diagram.edges}
    assert edges[("again", "report")] == ("repeat",)
    assert edges[("report", "again")] == ("next", "skip")
    assert diagram.nodes["again"].marks == ("every day at 21:00",)
    assert diagram.nodes["report"].marks == ("waits for a condition", "may be skipped")
    svg = str(render_svg(diagram))
    assert ">repeat<" in svg and ">skip<" in svg


def test_the_svg_is_well_formed_and_highlights_the_given_nodes():
    svg = render_svg(
        build_diagram(Approval),
        current=["ask"],
        failed=["pay"],
        notes={"ask": "wakes <soon>"},
        id_prefix="x1",
    )
    root = ElementTree.fromstring(str(svg))
    assert root.tag == f"{SVG}svg"
    nodes = [g for g in root.iter(f"{SVG}g") if g.get("data-node")]
    groups = {g.get("data-node"): g.get("class") for g in nodes}
    assert groups["ask"] == "atm-node atm-kind-form atm-current"
    assert groups["pay"] == "atm-node atm-kind-execute atm-failed"
    assert groups["decide"] == "atm-node atm-kind-if"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "wakes <soon>" in texts  # escaped in the markup, intact as text
    assert any("Approve <b>this</b>" in (t or "") for t in texts)
    markers = [m.get("id") for m in root.iter(f"{SVG}marker")]
    assert markers == ["x1-arrow-plain", "x1-arrow-error", "x1-arrow-repeat"]


def test_names_and_descriptions_cannot_inject_markup():
    svg = str(render_svg(build_diagram(Approval)))
    assert "<b>" not in svg and "&lt;b&gt;this&lt;/b&gt; &amp; that" in svg


def test_every_box_lies_inside_the_picture():
    for cls in (Linear, Hiring, Approval, Nightly):
        root = ElementTree.fromstring(str(render_svg(build_diagram(cls))))
        width, height = float(root.get("width")), float(root.get("height"))
        for rect in root.iter(f"{SVG}rect"):
            x, y = float(rect.get("x")), float(rect.get("y"))
            assert x >= 0 and x + float(rect.get("width")) <= width
            assert y >= 0 and y + float(rect.get("height")) <= height
        for path in root.iter(f"{SVG}path"):
            numbers = [float(n) for n in re.findall(r"-?[\d.]+", path.get("d"))]
            assert all(0 <= n <= max(width, height) for n in numbers), path.get("d")

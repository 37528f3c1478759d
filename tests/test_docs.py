"""Every code block in docs/ that starts with ``# example:`` runs, as written."""

import re
import sys
import types
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
BLOCK = re.compile(r"```python\n(# example: ([\w-]+)\n.*?)```", re.DOTALL)


def examples():
    for page in sorted(DOCS.glob("*.md")):
        for match in BLOCK.finditer(page.read_text()):
            yield pytest.param(match.group(1), id=f"{page.stem}:{match.group(2)}")


@pytest.mark.django_db
@pytest.mark.parametrize("code", list(examples()))
def test_documentation_example_runs(code, request):
    # A real module, so that the automation classes have an importable dotted path.
    name = "docs_example_" + re.sub(r"\W", "_", request.node.callspec.id)
    module = types.ModuleType(name)
    sys.modules[name] = module
    try:
        exec(compile(code, f"<{request.node.callspec.id}>", "exec"), module.__dict__)
    finally:
        del sys.modules[name]


def test_every_page_has_a_runnable_example_or_is_reference_only():
    with_examples = {page.stem for page in DOCS.glob("*.md") if "# example:" in page.read_text()}
    assert with_examples >= {
        "getting-started",
        "nodes",
        "modifiers",
        "instances",
        "messages",
        "testing",
        "checks",
    }

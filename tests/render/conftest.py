"""Fixtures for the renderer tests."""

from __future__ import annotations

import pytest
from render_helpers import INVENTORY, Example, conflict, make_report, no_machines, unknown_tag

from solver.render import SourceText


@pytest.fixture
def sources() -> SourceText:
    return SourceText({"inventory.json": INVENTORY}, read_files=False)


@pytest.fixture
def example(sources: SourceText) -> Example:
    return Example(make_report([conflict(), no_machines(), unknown_tag()], ignored=2), sources)

"""Locations in a JSON inventory point at the key and value of their path, whatever the
layout: the locator indexes containers lazily and skips values without decoding them
when it can (the root's values are indexed instead), and must find the same spans."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from solver.read.json_reader import JsonLocator

KEYS = st.text(alphabet='ab"\\ é\n', max_size=4)
SCALARS = st.none() | st.booleans() | st.integers(-10, 10**20) | st.text(max_size=3)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=25,
)
LAYOUTS = st.sampled_from([None, 0, 2, "\t"])


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    out = [(prefix, value)]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(KEYS, VALUES, max_size=5), LAYOUTS, st.booleans())
def test_every_path_spans_its_key_and_value(
    doc: dict[str, Any], indent: int | str | None, ascii_only: bool
) -> None:
    text = json.dumps(doc, indent=indent, ensure_ascii=ascii_only)
    locator = JsonLocator(text, "inventory.json")
    for path, value in _paths(doc)[1:]:
        span = locator.span(path)
        assert span is not None, path
        key_start, key_end, value_start, value_end = span
        assert json.loads(text[value_start:value_end]) == value, path
        if isinstance(path[-1], str):
            assert json.loads(text[key_start:key_end]) == path[-1], path


def test_a_missing_path_is_none_and_a_missing_comma_is_not_guessed_past() -> None:
    locator = JsonLocator('{"machines": {"a": {}}, "tags": {}}', "inventory.json")
    assert locator.span(("machines", "b")) is None
    assert locator.span(("instances",)) is None
    # not valid JSON (no comma between two entries of a nested object): nothing is located
    # in it, as when the value is decoded to be skipped
    broken = JsonLocator('{"machines": {"a": {} "b": {}}, "tags": {}}', "inventory.json")
    assert broken.span(("tags",)) is None

"""Pretty JSON text for every JSON output (``check --format json|sarif``, ``resolve``).

The layout is ``json.dumps(data, indent=2, ensure_ascii=False)`` plus a newline. With an
indent, the standard library encodes in Python, not C: the resolution of a 10,000-machine
fleet (46 MB of JSON) took 1.6 s, longer than checking it. orjson writes the same text in
0.1 s. It is used whenever it can represent the data; for what it cannot (integers
beyond 64 bits, strings with lone surrogates, which a JSON inventory may hold), the
standard library writes the output. Floats may be spelled differently (``1.5e-7`` for
``1.5e-07``); the values are the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def dumps(
    data: Any,
    default: Callable[[Any], Any] | None = None,
    *,
    sort_keys: bool = False,
    newline: bool = True,
) -> str:
    """`data` as indented JSON text (ending with a newline unless `newline` is false), keys
    in their given order or sorted."""
    import orjson

    option = orjson.OPT_INDENT_2
    if newline:
        option |= orjson.OPT_APPEND_NEWLINE
    if sort_keys:
        option |= orjson.OPT_SORT_KEYS
    try:
        return orjson.dumps(data, default=default, option=option).decode()
    except (orjson.JSONEncodeError, TypeError):
        text = json.dumps(data, indent=2, ensure_ascii=False, default=default, sort_keys=sort_keys)
        text = _no_surrogates(text)
        return text + "\n" if newline else text


def _no_surrogates(text: str) -> str:
    """Lone surrogates (from file names that are not UTF-8) cannot be written as UTF-8:
    each becomes the text ``\\xff`` inside its JSON string, as the text formats show it.
    (They occur only inside strings, so a doubled backslash keeps the JSON valid.)"""
    if text.isascii():
        return text
    if not _has_surrogate(text):
        return text
    import re

    from solver.render import no_surrogates

    # the escape's backslash, itself escaped for JSON
    return re.sub("[\ud800-\udfff]", lambda m: no_surrogates(m.group()).replace("\\", "\\\\"), text)


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False

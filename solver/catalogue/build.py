"""``inventory-solver catalogue build CLAN_CORE_PATH``: the built-in catalogue's services
(``builtin.json``) from a clan-core checkout, with the reading code of
:mod:`solver.catalogue.clancore` — the same code that reads the clan-core a clan pins.

The output is deterministic (modules sorted by name, keys sorted, two-space indent) and
records the revision it came from (``--revision``, else the checkout's git ``HEAD``).
The curated knowledge clan-core does not state in data is not part of it: it lives in
``curated.json`` and is layered on top when the catalogue is loaded
(:func:`solver.catalogue.curated.layer`).
"""

from __future__ import annotations

import json
import os
from typing import Any

from solver.errors import InputError

GENERATED_BY = "inventory-solver catalogue build"


def build_data(root: str, revision: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """The ``builtin.json`` document for the checkout at `root` and the notes of what
    could not be read."""
    from solver.catalogue.clancore import read_checkout
    from solver.catalogue.source import git_revision

    if not os.path.isdir(os.path.join(root, "clanServices")):
        raise InputError.single(
            "catalogue-error",
            f"{root}: not a clan-core checkout (no clanServices folder)",
            None,
        )
    rev = revision or git_revision(root)
    if not rev:
        raise InputError.single(
            "catalogue-error",
            f"{root}: the revision is not known (not a git checkout)",
            None,
            hint="name it: inventory-solver catalogue build --revision REV PATH",
        )
    cat = read_checkout(root)
    modules = []
    for spec in cat.modules:
        m = spec.model_dump(mode="json", exclude_defaults=True)
        if m.get("source"):
            rel = m["source"].split(" (", 1)[0]
            m["source"] = f"{rel} (clan-core {rev}, read by `{GENERATED_BY}`)"
        m.setdefault("kind", "service")
        modules.append(m)
    modules.sort(key=lambda m: (m["name"], m.get("input") or ""))
    data = {
        "version": 1,
        "revision": rev,
        "generated_by": GENERATED_BY,
        "modules": modules,
    }
    return data, [f"{n.module}: {n.what}" for n in cat.notes]


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def build_file(root: str, revision: str | None = None) -> tuple[str, list[str]]:
    """The text of ``builtin.json`` (see :func:`build_data`)."""
    data, notes = build_data(root, revision)
    return dumps(data), notes

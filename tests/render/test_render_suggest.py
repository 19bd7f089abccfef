"""did-you-mean suggestions."""

from __future__ import annotations

import pytest

from solver.render.suggest import did_you_mean, distance, suggestion_text


@pytest.mark.parametrize(
    ("a", "b", "d"),
    [
        ("", "", 0),
        ("", "abc", 3),
        ("backup", "backup", 0),
        ("backpu", "backup", 1),  # swap
        ("bakup", "backup", 1),  # insertion
        ("backupp", "backup", 1),  # deletion
        ("backop", "backup", 1),  # substitution
        ("kitten", "sitting", 3),
        ("ca", "abc", 3),
    ],
)
def test_distance(a: str, b: str, d: int) -> None:
    assert distance(a, b) == d
    assert distance(b, a) == d


def test_did_you_mean_best_first() -> None:
    tags = ["backup", "backups", "server", "dmz", "all"]
    assert did_you_mean("backpu", tags) == ["backup"]
    assert did_you_mean("backup", tags) == ["backups"]  # the name itself is no suggestion
    assert did_you_mean("sever", tags, limit=3) == ["server"]
    assert did_you_mean("zzzzzz", tags) == []
    assert did_you_mean("dmx", tags) == ["dmz"]
    assert did_you_mean("Server", tags) == ["server"]  # case only ranks first
    assert did_you_mean("backup", tags, limit=0) == []


def test_did_you_mean_deterministic_ties() -> None:
    names = ["web2", "web1", "web3", "web1"]
    assert did_you_mean("web", names, limit=5) == ["web1", "web2", "web3"]
    assert did_you_mean("web", reversed(names), limit=2) == ["web1", "web2"]
    assert did_you_mean("web", iter(names)) == ["web1"]


def test_cutoff_grows_with_length() -> None:
    assert did_you_mean("ab", ["xy"]) == []
    assert did_you_mean("monitoring", ["monitorign", "mon"]) == ["monitorign"]
    assert did_you_mean("monitorinx", ["monotorinz"]) == ["monotorinz"]  # 2 edits, length 10
    assert did_you_mean("abc", ["xyc"]) == []  # 2 edits on a 3-letter name is too far


def test_suggestion_text() -> None:
    assert suggestion_text([]) is None
    assert suggestion_text(["backup"], "tag") == 'did you mean the tag "backup"?'
    assert suggestion_text(["a"]) == 'did you mean "a"?'
    assert suggestion_text(["a", "b", "c"], "tag") == 'did you mean one of "a", "b" or "c"?'

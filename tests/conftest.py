from __future__ import annotations

import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "data")
CORPUS = os.path.join(DATA, "corpus")


@pytest.fixture
def corpus_dir() -> str:
    return CORPUS

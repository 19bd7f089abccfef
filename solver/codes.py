"""The registry of diagnostic codes, assembled from the families in :mod:`solver.findings`
(each code is documented once, there). Kept for the callers of ``solver.codes``."""

from __future__ import annotations

from solver.diagnostics import Severity
from solver.findings import CODES, info
from solver.findings.base import CodeInfo

__all__ = ["CODES", "CodeInfo", "Severity", "info"]

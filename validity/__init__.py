"""The validity matrix of pytest-modelgate (issue #13): Monte-Carlo error rates of every gate kind.

Each *scenario* draws test sets from a population whose metric is known exactly
(:mod:`validity.scenarios`); the *harness* (:mod:`validity.harness`) scores each draw through the
public API only (``from pytest_modelgate import evaluate, assert_*``) and counts how often the
gate errs when the truth sits exactly at the bar. ``python -m validity`` writes
``docs/validity.md`` and ``validity/results.json``.

Nothing here imports a private module of ``pytest_modelgate``: the matrix must keep running while
the internals move.
"""

from __future__ import annotations

__all__ = ["NOMINAL_COVERAGE", "NOMINAL_ERROR"]

#: two-sided confidence level of every interval the matrix asks for (the product default)
NOMINAL_COVERAGE = 0.95
#: the promised one-sided error at the bar: (1 − confidence) / 2
NOMINAL_ERROR = (1 - NOMINAL_COVERAGE) / 2

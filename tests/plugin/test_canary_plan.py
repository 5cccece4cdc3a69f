"""decision.canary_plan end to end: a canary decision names the days the canary needs in its
reasons (the terminal summary) and its JSON (numbers: tests/unit/test_shadow.py)."""

from __future__ import annotations

import json
from fnmatch import fnmatch

from pytest_modelgate import run_gates

from .conftest import SPEC_HEAD

PLANNED = (
    SPEC_HEAD.replace(
        "  candidate: models/model.joblib\n",
        "  candidate: models/model.joblib\n  baseline: models/model.joblib\n",
    ).replace(
        "gates:\n",
        "decision:\n  primary: accuracy\n  canary_plan: {share: 0.05, requests_per_day: 20000, "
        "label_rate: 0.3}\ngates:\n",
    )
    + """\
  - metric: accuracy
    compare: baseline
    max_drop: 0.02
"""
)


def test_a_canary_decision_says_how_long_the_canary_runs(project_template, tmp_path):
    # the candidate against itself: Δ = 0, not shown better → canary, sized by the plan. Through
    # run_gates (the runner the plugin shares) to stay cheap; the terminal prints every reason.
    for sub in ("data", "models"):
        (tmp_path / sub).symlink_to(project_template / sub)
    (tmp_path / "gates.yaml").write_text(PLANNED)
    decision = run_gates(tmp_path / "gates.yaml").decision
    assert decision.outcome == "canary"
    assert fnmatch(
        decision.reasons[-1],
        "canary plan: at 5% of 20,000 requests/day with 30% labelled, if Δaccuracy stays at "
        "the offline +0.0000, the canary's anytime-valid interval clears -0.02 after ~* days*",
    )
    plan = json.loads(json.dumps(decision.to_dict()))["canary_plan"]
    assert plan["share"] == 0.05 and plan["bar"] == -0.02 and plan["days_to_promote"] > 1
    assert plan["days_to_show_better"] is None  # Δ̂ = 0 is never shown better

"""Bespoke model tests for the example, written like unit tests.

Run with the gates (``make demo`` does): ``pytest --modelgate gates.yaml example_project/tests``.
The ``modelgate`` fixture reuses the data and predictions the gates loaded: nothing is read or
predicted twice. Every assertion uses the gates' statistics and prints the gates' messages.
"""

from __future__ import annotations

import pandas as pd

from pytest_modelgate import assert_fair, assert_metric, assert_predictions, assert_slices


def test_young_people_are_classified_well(modelgate):
    # a custom slice that is not a column: the under-25s
    young = (modelgate.data["age"] < 25).to_numpy()
    assert_metric(modelgate.evaluation, "accuracy", min=0.95, slice=young)


def test_business_rule_large_capital_gains_are_flagged(modelgate):
    # a business rule: people with capital gains above 10,000 earn >50K almost always, and the
    # model must flag at least 90% of them
    rich = (modelgate.data["capital_gain"] > 10_000).to_numpy()
    assert_metric(modelgate.evaluation, "selection_rate", min=0.9, slice=rich)


def test_recall_for_every_education_level_with_enough_people(modelgate):
    # slices of a column that is model input; small levels are INCONCLUSIVE, so judge them
    # leniently (fail only on evidence of a violation, Holm across the levels)
    assert_slices(
        modelgate.evaluation,
        "accuracy",
        "education",
        min=0.75,
        evidence="lenient",
        inconclusive="pass",
    )


def test_error_rates_are_similar_for_women_and_men(modelgate):
    assert_fair(modelgate.evaluation, "equal_opportunity_difference", sensitive="sex", max=0.12)


GOLDEN = pd.DataFrame(
    [
        # an obvious high earner: doctorate, executive, 60 hours, large capital gain
        dict(
            age=45,
            workclass="Private",
            education="Doctorate",
            education_num=16,
            marital_status="Married-civ-spouse",
            occupation="Exec-managerial",
            relationship="Husband",
            capital_gain=15024,
            capital_loss=0,
            hours_per_week=60,
            native_country="United-States",
        ),
        # an obvious low earner: a teenager working part time
        dict(
            age=18,
            workclass="Private",
            education="11th",
            education_num=7,
            marital_status="Never-married",
            occupation="Other-service",
            relationship="Own-child",
            capital_gain=0,
            capital_loss=0,
            hours_per_week=20,
            native_country="United-States",
        ),
        # missing categories must not break the model (it was trained with them)
        dict(
            age=19,
            workclass=None,
            education="HS-grad",
            education_num=9,
            marital_status="Never-married",
            occupation=None,
            relationship="Own-child",
            capital_gain=0,
            capital_loss=0,
            hours_per_week=15,
            native_country=None,
        ),
    ]
)


def test_golden_cases(modelgate):
    assert_predictions(
        modelgate.model(), GOLDEN, [">50K", "<=50K", "<=50K"], name="golden cases (obvious incomes)"
    )

"""Estimates: metrics with their intervals, paired comparisons and fairness gaps.

``metrics`` is the metric registry (point estimates from counts, ranks or per-row losses);
``metric`` estimates one metric with its interval; ``compare`` a candidate-vs-baseline difference;
``fairness`` a gap across groups. The interval formulas live in :mod:`pytest_modelgate.stats`.
"""

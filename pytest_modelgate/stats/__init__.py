"""Statistics core: confidence intervals, DeLong AUC inference, count bootstrap, Holm."""

from __future__ import annotations

from pytest_modelgate.stats.bootstrap import (
    BCA_MAX_ROWS,
    BootstrapResult,
    bca_interval,
    count_bootstrap,
    draw_counts,
    jackknife_on_cells,
    percentile_of_score,
    weighted_row_bootstrap,
)
from pytest_modelgate.stats.delong import (
    delong_auc_variance,
    delong_difference_test,
    delong_paired,
    midrank,
)
from pytest_modelgate.stats.intervals import (
    INTERVAL_METHODS,
    Interval,
    clopper_pearson_interval,
    normal_interval,
    wilson_interval,
)
from pytest_modelgate.stats.multiplicity import holm_adjust, min_resamples_for_level
from pytest_modelgate.stats.paired import (
    McNemarResult,
    mcnemar,
    paired_mean_difference_interval,
    paired_proportion_difference_interval,
    paired_score_interval,
    paired_score_statistic,
)

__all__ = [
    "BCA_MAX_ROWS",
    "INTERVAL_METHODS",
    "BootstrapResult",
    "Interval",
    "McNemarResult",
    "bca_interval",
    "clopper_pearson_interval",
    "count_bootstrap",
    "delong_auc_variance",
    "delong_difference_test",
    "delong_paired",
    "draw_counts",
    "holm_adjust",
    "jackknife_on_cells",
    "mcnemar",
    "midrank",
    "min_resamples_for_level",
    "normal_interval",
    "paired_mean_difference_interval",
    "paired_proportion_difference_interval",
    "paired_score_interval",
    "paired_score_statistic",
    "percentile_of_score",
    "weighted_row_bootstrap",
    "wilson_interval",
]

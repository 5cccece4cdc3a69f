"""Statistics core: confidence intervals (proportions, AUC, skewed means), DeLong AUC inference,
count bootstrap, Holm."""

from __future__ import annotations

from pytest_modelgate.stats.auc_interval import (
    auc_hull_interval,
    delong_logit_interval,
    hanley_mcneil_variance,
    newcombe_score_interval,
)
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
    delong_from_codes,
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
from pytest_modelgate.stats.skewed_mean import SkewedMean, hall_t_bounds, skewed_mean_interval

__all__ = [
    "BCA_MAX_ROWS",
    "INTERVAL_METHODS",
    "BootstrapResult",
    "Interval",
    "McNemarResult",
    "SkewedMean",
    "auc_hull_interval",
    "bca_interval",
    "clopper_pearson_interval",
    "count_bootstrap",
    "delong_auc_variance",
    "delong_difference_test",
    "delong_from_codes",
    "delong_logit_interval",
    "delong_paired",
    "draw_counts",
    "hall_t_bounds",
    "hanley_mcneil_variance",
    "holm_adjust",
    "jackknife_on_cells",
    "mcnemar",
    "midrank",
    "min_resamples_for_level",
    "newcombe_score_interval",
    "normal_interval",
    "paired_mean_difference_interval",
    "paired_proportion_difference_interval",
    "paired_score_interval",
    "paired_score_statistic",
    "percentile_of_score",
    "skewed_mean_interval",
    "weighted_row_bootstrap",
    "wilson_interval",
]

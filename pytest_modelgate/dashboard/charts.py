"""Vega-Lite chart specs (built with altair) from the dashboard's tidy tables.

Every chart filters its rows on one top-level parameter, ``branch_filter`` (the page's branch
menu sets it on each view). Field names and expressions are this module's constants: names
from the records (gates, slices, columns, branches) travel as data values only, so a hostile
name can neither become a field reference nor a Vega expression.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from pytest_modelgate.dashboard.tables import DECISIONS, VERDICTS, HistoryTables

__all__ = [
    "ALL_BRANCHES",
    "BRANCH_PARAM",
    "column_check_chart",
    "coverage_chart",
    "decision_timeline",
    "gate_chart",
    "import_altair",
]

ALL_BRANCHES = "(all branches)"
BRANCH_PARAM = "branch_filter"
_FILTER = f"{BRANCH_PARAM} == '{ALL_BRANCHES}' || datum.branch == {BRANCH_PARAM}"

# the HTML report's colours (report/html.py), so a verdict looks the same everywhere
VERDICT_COLOURS = ("#1a7f37", "#cf222e", "#bf8700", "#8250df")
DECISION_COLOURS = ("#1a7f37", "#54aeff", "#bf8700", "#cf222e", "#8250df")
BAND = "#57606a"
BAR = "#cf222e"
RELEASE = "#1a7f37"
# Vega-Lite cannot size concatenated charts to their container: the timeline is as wide as the
# page's main column (narrower windows scroll it)
TIMELINE_WIDTH = 1060


def import_altair() -> Any:
    """altair, or a clear message naming the extra that installs it."""
    try:
        import altair
        import vl_convert  # noqa: F401  (the page's JavaScript; checked here to fail early)
    except ImportError as exc:
        from pytest_modelgate.dashboard.tables import DashboardError

        raise DashboardError(
            f"the dashboard needs altair and vl-convert-python ({exc.name} is not installed): "
            "pip install 'pytest-modelgate[dashboard]'"
        ) from None
    return altair


def _param(alt: Any) -> Any:
    return alt.param(name=BRANCH_PARAM, value=ALL_BRANCHES)


_RUN_TOOLTIP = (
    ("time", "T", "recorded"),
    ("run_id", "N", "run"),
    ("branch", "N", "branch"),
    ("commit", "N", "commit"),
)


def _tooltip(alt: Any, extra: Sequence[tuple[str, str, str]]) -> list[Any]:
    fields = [*_RUN_TOOLTIP, *extra]
    return [
        alt.Tooltip(
            f"{name}:{kind}",
            title=title,
            **({"format": "%Y-%m-%d %H:%M"} if kind == "T" else {}),
            **({"format": ".4g"} if kind == "Q" else {}),
        )
        for name, kind, title in fields
    ]


def _x(alt: Any) -> Any:
    return alt.X(
        "time:T",
        title=None,
        axis=alt.Axis(format="%b %d", labelAngle=0),
        scale=alt.Scale(padding=10),  # the first and last runs' marks whole, not cut in half
    )


def _measure_layers(
    alt: Any,
    *,
    y_title: str,
    has_band: bool,
    colour_field: str,
    colour_scale: Any,
    tooltip: list[Any],
    bounds: Sequence[str],
    legend: bool = False,
) -> list[Any]:
    """Interval band, estimate line, verdict-coloured points and the bars (min/max) over runs.
    Only the bars some run has get a layer: an empty layer makes Vega warn of an empty extent."""
    y = alt.Y("estimate:Q", title=y_title, scale=alt.Scale(zero=False))
    layers = []
    if has_band:
        layers.append(
            alt.Chart()
            .mark_area(opacity=0.22, color=BAND)
            .encode(x=_x(alt), y=alt.Y("low:Q", title=y_title), y2="high:Q", detail="branch:N")
        )
    layers.append(
        alt.Chart().mark_line(color=BAND, strokeWidth=1.2).encode(x=_x(alt), y=y, detail="branch:N")
    )
    for bound in bounds:
        layers.append(
            alt.Chart()
            .mark_line(interpolate="step-after", strokeDash=[6, 3], color=BAR, strokeWidth=1.2)
            .encode(x=_x(alt), y=alt.Y(f"{bound}:Q", title=y_title), detail="branch:N")
        )
        layers.append(
            alt.Chart()
            .mark_point(shape="stroke", size=160, color=BAR, strokeWidth=2)
            .encode(x=_x(alt), y=alt.Y(f"{bound}:Q", title=y_title))
        )
    layers.append(
        alt.Chart()
        .mark_point(filled=True, size=55, opacity=1)
        .encode(
            x=_x(alt),
            y=y,
            color=alt.Color(
                f"{colour_field}:N",
                scale=colour_scale,
                title=None,
                legend=alt.Legend(orient="top") if legend else None,  # else the page's key
            ),
            tooltip=tooltip,
        )
    )
    return layers


def _release_rules(alt: Any, promoted: bool) -> list[Any]:
    """Dotted vertical lines at promoted releases (none when no run was promoted). Every run
    gets a rule, invisible unless promoted: a filter that left no rows would make Vega warn
    about an empty extent whenever the branch menu picks a branch without releases."""
    if not promoted:
        return []
    return [
        alt.Chart()
        .mark_rule(color=RELEASE, strokeDash=[2, 3])
        .encode(x=_x(alt), opacity=alt.condition("datum.promoted", alt.value(0.7), alt.value(0)))
    ]


def _verdict_scale(alt: Any) -> Any:
    return alt.Scale(domain=list(VERDICTS), range=list(VERDICT_COLOURS))


# Building a chart with altair takes a good part of a second (it copies and re-validates its
# objects at every step), while the gates' charts differ only in a few switches: each shape is
# built once per process and copied, with its title and rows filled in.
_TEMPLATES: dict[tuple[Any, ...], str] = {}


def _from_template(
    key: tuple[Any, ...], build: Callable[[], Any], validate: bool
) -> dict[str, Any]:
    if validate or key not in _TEMPLATES:
        _TEMPLATES[key] = json.dumps(build().to_dict(validate=validate))
    spec: dict[str, Any] = json.loads(_TEMPLATES[key])
    return spec


def _shape(
    rows: Sequence[dict[str, Any]], bounds: Sequence[str]
) -> tuple[bool, tuple[str, ...], bool]:
    has_band = any(r["low"] is not None and r["high"] is not None for r in rows)
    present = tuple(b for b in bounds if any(r[b] is not None for r in rows))
    return has_band, present, any(r["promoted"] for r in rows)


def gate_chart(
    alt: Any, rows: list[dict[str, Any]], *, title: str, sliced: bool, validate: bool = False
) -> dict[str, Any]:
    """One gate over runs: estimate, interval band, bar(s), verdicts, promoted releases; a sliced
    gate as small multiples, one panel per slice. A Vega-Lite spec with its rows as ``datasets``."""
    has_band, bounds, promoted = _shape(rows, ("min", "max"))

    def build() -> Any:
        tooltip = _tooltip(
            alt,
            [
                ("verdict", "N", "verdict"),
                ("estimate", "Q", "estimate"),
                ("low", "Q", "interval low"),
                ("high", "Q", "interval high"),
                ("method", "N", "method"),
                ("n", "Q", "n"),
                *([("slice", "N", "slice")] if sliced else []),
                ("message", "N", "message"),
            ],
        )
        layers = [
            *_release_rules(alt, promoted),
            *_measure_layers(
                alt,
                y_title="estimate",
                has_band=has_band,
                colour_field="verdict",
                colour_scale=_verdict_scale(alt),
                tooltip=tooltip,
                bounds=bounds,
            ),
        ]
        data = alt.Data(name="rows")
        if not sliced:
            return (
                alt.layer(*layers, data=data)
                .transform_filter(_FILTER)
                .properties(width="container", height=170)
                .add_params(_param(alt))
            )
        return (
            alt.layer(*layers)
            .properties(width=230, height=120)
            .facet(
                data=data,
                facet=alt.Facet("slice:N", title=None, header=alt.Header(labelLimit=230)),
                columns=3,
            )
            .transform_filter(_FILTER)
            .add_params(_param(alt))
        )

    spec = _from_template(("gate", sliced, has_band, bounds, promoted), build, validate)
    return {**spec, "title": title, "datasets": {"rows": rows}}


def column_check_chart(
    alt: Any, rows: list[dict[str, Any]], *, title: str, validate: bool = False
) -> dict[str, Any]:
    """A data check per column over runs (drift with its interval, missing values …): small
    multiples, one panel per column, the per-column bar dashed, flagged columns in red."""
    rows = [{**r, "estimate": r["statistic"]} for r in rows]
    has_band, bounds, promoted = _shape(rows, ("max",))  # per-column bars are maxima

    def build() -> Any:
        tooltip = _tooltip(
            alt,
            [
                ("column", "N", "column"),
                ("flagged", "N", "column verdict"),
                ("statistic", "Q", "statistic"),
                ("low", "Q", "interval low"),
                ("high", "Q", "interval high"),
                ("detail", "N", "detail"),
            ],
        )
        layers = _measure_layers(
            alt,
            y_title="per column",
            has_band=has_band,
            colour_field="flagged",
            colour_scale=alt.Scale(domain=["ok", "flagged"], range=[VERDICT_COLOURS[0], BAR]),
            tooltip=tooltip,
            bounds=bounds,
            legend=True,
        )
        return (
            alt.layer(*_release_rules(alt, promoted), *layers)
            .properties(width=170, height=80)
            .facet(
                data=alt.Data(name="rows"),
                facet=alt.Facet("column:N", title=None, header=alt.Header(labelLimit=170)),
                columns=4,
            )
            .transform_filter(_FILTER)
            .add_params(_param(alt))
        )

    spec = _from_template(("columns", has_band, bounds, promoted), build, validate)
    return {**spec, "title": title, "datasets": {"rows": rows}}


def decision_timeline(alt: Any, tables: HistoryTables, *, validate: bool = False) -> dict[str, Any]:
    """The release decision of every run (promoted releases as large diamonds) above the number
    of gates (results) per verdict in each run."""
    runs = tables.runs
    tooltip = _tooltip(
        alt,
        [
            ("decision", "N", "decision"),
            ("promoted", "N", "promoted"),
            ("pull_request", "N", "pull request"),
            ("partial", "N", "partial run (-k)"),
            ("n_pass", "Q", "PASS"),
            ("n_fail", "Q", "FAIL"),
            ("n_inconclusive", "Q", "INCONCLUSIVE"),
            ("n_error", "Q", "ERROR"),
        ],
    )
    decisions = (
        alt.Chart()
        .mark_point(filled=True, opacity=1)
        .encode(
            x=_x(alt),
            y=alt.Y(
                "decision:N",
                sort=list(DECISIONS),
                scale=alt.Scale(domain=list(DECISIONS)),
                title=None,
            ),
            color=alt.Color(
                "decision:N",
                scale=alt.Scale(domain=list(DECISIONS), range=list(DECISION_COLOURS)),
                legend=None,  # the y axis names the decision
            ),
            shape=alt.Shape(
                "promoted:N",
                scale=alt.Scale(domain=[True, False], range=["diamond", "circle"]),
                legend=alt.Legend(title="promoted release", orient="top"),
            ),
            size=alt.condition("datum.promoted", alt.value(190), alt.value(60)),
            tooltip=tooltip,
        )
        .properties(width=TIMELINE_WIDTH, height=120)
    )
    counts = [
        {
            **{k: run[k] for k in ("time", "run_id", "branch", "commit")},
            "verdict": v,
            "count": run[f"n_{v.lower()}"],
        }
        for run in runs
        for v in VERDICTS
    ]
    bars = (
        alt.Chart(alt.Data(name="counts"))
        .transform_filter(_FILTER)
        .mark_bar(size=7)
        .encode(
            x=_x(alt),
            y=alt.Y("count:Q", title="results", stack=True),
            color=alt.Color(
                "verdict:N", scale=_verdict_scale(alt), title=None, legend=alt.Legend(orient="top")
            ),
            order=alt.Order("verdict:N", sort="descending"),
            tooltip=_tooltip(alt, [("verdict", "N", "verdict"), ("count", "Q", "results")]),
        )
        .properties(width=TIMELINE_WIDTH, height=90)
    )
    top = alt.layer(decisions, data=alt.Data(name="runs")).transform_filter(_FILTER)
    chart = (
        alt.vconcat(top, bars)
        .resolve_scale(x="shared", color="independent")
        .properties(title="Release decisions")
        .add_params(_param(alt))
    )
    spec: dict[str, Any] = chart.to_dict(validate=validate)
    return {**spec, "datasets": {"runs": runs, "counts": counts}}


def coverage_chart(alt: Any, tables: HistoryTables, *, validate: bool = False) -> dict[str, Any]:
    """Gate coverage across the runs that did mutation testing (``--modelgate-mutate``, #20):
    the share of injected faults the spec's gates caught."""
    rows = [
        {k: run[k] for k in ("time", "run_id", "branch", "commit", "gate_coverage", "mutants")}
        for run in tables.runs
        if run.get("gate_coverage") is not None
    ]
    tooltip = _tooltip(alt, [("gate_coverage", "Q", "gate coverage"), ("mutants", "Q", "mutants")])
    base = alt.Chart(alt.Data(name="coverage")).transform_filter(_FILTER)
    y = alt.Y(
        "gate_coverage:Q",
        title="share of mutants killed",
        scale=alt.Scale(domain=[0, 1]),
        axis=alt.Axis(format="%"),
    )
    line = base.mark_line(color="#57606a").encode(x=_x(alt), y=y)
    points = base.mark_point(filled=True, size=60, color="#0969da").encode(
        x=_x(alt), y=y, tooltip=tooltip
    )
    chart = (
        alt.layer(line, points)
        .properties(width=TIMELINE_WIDTH, height=110, title="Gate coverage (mutation testing)")
        .add_params(_param(alt))
    )
    spec: dict[str, Any] = chart.to_dict(validate=validate)
    return {**spec, "datasets": {"coverage": rows}}

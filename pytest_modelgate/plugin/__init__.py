"""pytest plugin: options, gate items, the decision section and the exit status.

Kept thin on purpose: nothing heavy is imported unless ``--modelgate`` is given, so installing the
plugin costs nothing for test runs that do not gate a model.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_modelgate.plugin.fixture import modelgate
from pytest_modelgate.plugin.run import _RunHooks
from pytest_modelgate.plugin.state import (
    _PLUGIN_NAME,
    _STATE,
    DEFAULT_REPORT,
    _nodeid_of,
    _spec_path,
    _State,
)

if TYPE_CHECKING:  # pragma: no cover
    from pytest_modelgate.spec import Spec

__all__ = ["modelgate"]

# the assertion helpers raise their own messages; registering keeps any plain `assert` in them
# rewritten too (must happen before the module is imported)
pytest.register_assert_rewrite("pytest_modelgate.api")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("modelgate", "model release gates (pytest-modelgate)")
    group.addoption(
        "--modelgate",
        action="store_true",
        default=False,
        help="evaluate the gates of the gate spec (gates.yaml) as test items and "
        "print the release decision",
    )
    group.addoption(
        "--modelgate-spec",
        metavar="PATH",
        default=None,
        help="gate spec to use (default: ini option modelgate_spec, else gates.yaml "
        "in the rootdir)",
    )
    group.addoption(
        "--modelgate-report",
        metavar="PATH",
        default=None,
        help=f"where to write the JSON report (default: {DEFAULT_REPORT} in the rootdir)",
    )
    group.addoption(
        "--modelgate-fail-on",
        choices=("block", "review", "warn"),
        default="block",
        help="exit 1 when the decision is block (default), review or worse, or when any gate warns",
    )
    group.addoption(
        "--modelgate-html",
        metavar="PATH",
        default=None,
        help="also write a self-contained HTML report (decision, gates, forest plots, lineage)",
    )
    group.addoption(
        "--modelgate-update-baseline",
        action="store_true",
        default=False,
        help="store this run's candidate (per-row predictions, metrics, fingerprints) as the "
        "baseline under baseline.store, if no blocking gate failed",
    )
    group.addoption(
        "--modelgate-force",
        action="store_true",
        default=False,
        help="with --modelgate-update-baseline: store even if blocking gates failed",
    )
    group.addoption(
        "--modelgate-seed",
        metavar="INT",
        type=int,
        default=None,
        help="override stats.seed (every random draw derives from it)",
    )
    group.addoption(
        "--modelgate-timeout",
        metavar="SECONDS",
        type=float,
        default=None,
        help="override models.timeout_s: how long to wait for one predict() call (default 600)",
    )
    # --- the release history and the PR comment (#17) ---
    group.addoption(
        "--modelgate-markdown",
        metavar="PATH",
        default=None,
        help="also write a compact Markdown report (on a pull request with a history: the "
        "diff against the base branch's last run); modelgate pr-comment posts it",
    )
    group.addoption(
        "--modelgate-history-partial",
        action="store_true",
        default=False,
        help="record a partial run (-k, -m, -x, a failed collection) in the history too "
        "(never as a promoted release)",
    )
    group.addoption(
        "--modelgate-no-history",
        action="store_true",
        default=False,
        help="record nothing in the history this time (compare: previous and trend gates "
        "still read it)",
    )
    from pytest_modelgate.plugin.registry import add_options  # #18: MLflow

    add_options(group)
    # --- what the gates miss (#20): reports only, the release decision is unchanged ---------
    group.addoption(
        "--modelgate-scan",
        action="store_true",
        default=False,
        help="after the gates, search for weak slices nobody declared (found on half the rows, "
        "confirmed on the other half) and propose gates for them; does not change the decision "
        "(docs/scan.md)",
    )
    group.addoption(
        "--modelgate-mutate",
        action="store_true",
        default=False,
        help="after the gates, apply a catalogue of faults to the candidate's predictions and "
        "report which gates catch each (gate coverage) and gates for the survivors; does not "
        "change the decision (docs/mutation.md)",
    )
    parser.addini(
        "modelgate_spec", help="path of the gate spec, relative to the rootdir", default=None
    )


def _hint_missing_flag(config: pytest.Config) -> None:
    """``pytest gates.yaml`` without ``--modelgate`` ended in pytest's bare "not found": a
    gate spec given as an argument is named, with the command that runs it."""
    import re

    for arg in config.args:
        path = Path(arg.split("::")[0])
        if path.suffix not in (".yaml", ".yml") or not path.is_file():
            continue
        try:
            head = path.read_text(encoding="utf-8", errors="replace")[:65536]
        except OSError:
            continue
        if re.search(r"^gates:", head, flags=re.M) and re.search(r"^version:", head, flags=re.M):
            raise pytest.UsageError(
                f"{arg} is a gate spec, but the modelgate plugin is off: run "
                f"`pytest --modelgate {arg}` (add `addopts = --modelgate` to your pytest "
                "configuration to make it the default)"
            )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "modelgate: a model release gate from the gate spec")
    if not config.getoption("modelgate"):
        _hint_missing_flag(config)
        return
    from pytest_modelgate.errors import SpecError

    try:
        _configure(config)
    except (SpecError, pytest.UsageError) as exc:
        spec_error = isinstance(exc, SpecError)
        message = f"invalid gate spec\n{exc}" if spec_error else str(exc)
        if os.environ.get("GITHUB_ACTIONS") == "true" and not hasattr(config, "workerinput"):
            # where an annotation helps most: the pull request shows it on gates.yaml's line
            from pytest_modelgate.report.github import write_github_usage_error

            try:
                spec_path: Path | None = _spec_path(config)
            except pytest.UsageError:
                spec_path = None
            problems = exc.problems if isinstance(exc, SpecError) else ()
            lines = write_github_usage_error(message, spec_path=spec_path, problems=problems)
            message += "\n" + "\n".join(lines)  # stderr: the runner reads commands there too
        raise pytest.UsageError(message) from None


def _configure(config: pytest.Config) -> None:
    from pytest_modelgate.errors import SpecError
    from pytest_modelgate.spec import load_spec

    report = config.getoption("modelgate_report")
    report_path = (
        Path(config.invocation_params.dir, report) if report else config.rootpath / DEFAULT_REPORT
    ).absolute()
    if config.getoption("modelgate_force") and not config.getoption("modelgate_update_baseline"):
        raise pytest.UsageError("--modelgate-force only applies with --modelgate-update-baseline")
    seed = config.getoption("modelgate_seed")
    if seed is not None:
        from pytest_modelgate.spec import StatsSpec, validate_arguments

        try:
            validate_arguments(StatsSpec, {"seed": seed}, "--modelgate-seed")
        except SpecError as exc:
            raise pytest.UsageError(str(exc)) from None
    spec = with_option_overrides(config, load_spec(_spec_path(config)))  # SpecError: above
    if not hasattr(config, "workerinput"):
        _check_report_paths(config, spec, report_path)
    if spec.data.engine != "memory":
        from pytest_modelgate.inputs.engines import missing_dependency

        missing = missing_dependency(spec.data.engine)
        if missing:
            raise pytest.UsageError(f"{spec.where('data', 'engine')}: {missing}; nothing was run")
    from pytest_modelgate.plugin.registry import configure_registry  # #18: MLflow

    configure_registry(config, spec)
    state = _State(
        spec,
        _nodeid_of(config, spec.path),
        config.getoption("modelgate_seed"),
        report_path,
    )
    config.stash[_STATE] = state
    xunit2 = (
        bool(config.getoption("xmlpath", None))
        and config.getini("junit_family") == "xunit2"
        and not hasattr(config, "workerinput")
    )
    config.pluginmanager.register(_RunHooks(state, xunit2), _PLUGIN_NAME)


def with_option_overrides(config: pytest.Config, spec: Spec) -> Spec:
    """The spec with ``--modelgate-timeout`` as ``models.timeout_s`` (a usage error unless a
    positive, finite number of seconds)."""
    import dataclasses
    import math

    timeout = config.getoption("modelgate_timeout", None)
    if timeout is None:
        return spec
    if not math.isfinite(timeout) or timeout <= 0:
        raise pytest.UsageError(
            f"--modelgate-timeout: must be a positive number of seconds (got {timeout:g}); "
            "without the option models.timeout_s applies (default 600)"
        )
    models = spec.doc.models.model_copy(update={"timeout_s": timeout})
    return dataclasses.replace(spec, doc=spec.doc.model_copy(update={"models": models}))


def _check_report_paths(config: pytest.Config, spec: Spec, report_path: Path) -> None:
    """Refuse, before anything runs, a report path that is an input of the run (the spec, data,
    model files, the baseline store), the other report, a device, FIFO, socket, folder or
    symbolic link, or cannot be written. Nothing is deleted here: an earlier report stays until
    this run has a decision to replace it with (``--co`` and a broken spec leave it alone)."""
    from pytest_modelgate._paths import check_report_path
    from pytest_modelgate.runner.lineage import input_paths

    inputs = input_paths(spec)
    html = config.getoption("modelgate_html")
    html_path = Path(config.invocation_params.dir, html).absolute() if html else None
    targets: list[tuple[str, Path, list[tuple[Path, str]]]] = [
        ("--modelgate-report", report_path, inputs)
    ]
    if html_path is not None:
        targets.append(("--modelgate-html", html_path, [*inputs, (report_path, "the JSON report")]))
    markdown = config.getoption("modelgate_markdown")
    if markdown:
        written = [(report_path, "the JSON report")]
        if html_path is not None:
            written.append((html_path, "the HTML report"))
        targets.append(
            (
                "--modelgate-markdown",
                Path(config.invocation_params.dir, markdown).absolute(),
                [*inputs, *written],
            )
        )
    _check_history_store(spec, inputs)
    for what, target, protected in targets:
        problem = check_report_path(target, what, protected)
        if problem:
            raise pytest.UsageError(f"{problem}; nothing was run")


def _check_history_store(spec: Spec, inputs: list[tuple[Path, str]]) -> None:
    """The history store (a SQLite file) must not be the spec, data, a model or the baseline
    store, nor lie inside one: it is written after every run."""
    from pytest_modelgate._paths import check_report_path
    from pytest_modelgate.errors import DataError
    from pytest_modelgate.runner.history import store_target

    try:
        target = store_target(spec)
    except DataError as exc:
        raise pytest.UsageError(f"{exc}; nothing was run") from None
    if not isinstance(target, Path):
        return
    others = [(p, what) for p, what in inputs if what != "the history store (history.store)"]
    problem = check_report_path(target.absolute(), spec.where("history", "store"), others)
    if problem:
        raise pytest.UsageError(f"{problem}; nothing was run")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _STATE in config.stash:
        del config.stash[_STATE]
        plugin = config.pluginmanager.get_plugin(_PLUGIN_NAME)
        if plugin is not None:
            config.pluginmanager.unregister(plugin)


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    state = config.stash.get(_STATE, None)
    if state is None:
        return None
    seed = state.seed if state.seed is not None else state.spec.stats.seed
    from pytest_modelgate.plugin.registry import registry_header  # #18: registry versions

    return [
        f"modelgate: spec {state.spec_nodeid} ({len(state.spec.gates)} gates), "
        f"seed {seed}, sha256 {state.spec.sha256[:12]}",
        *registry_header(config),
    ]

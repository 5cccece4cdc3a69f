"""pytest plugin: options, gate items, the decision section and the exit status.

Kept thin on purpose: nothing heavy is imported unless ``--modelgate`` is given, so installing the
plugin costs nothing for test runs that do not gate a model.
"""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ._paths import display_path

if TYPE_CHECKING:  # pragma: no cover
    from .decision import Decision
    from .results import CheckResult
    from .session import GateSession
    from .spec import Gate, Spec

# the assertion helpers raise their own messages; registering keeps any plain `assert` in them
# rewritten too (must happen before the module is imported)
pytest.register_assert_rewrite("pytest_modelgate.api")

PROPERTY = "modelgate"
TEST_PROPERTY = "modelgate_test_severity"
DEFAULT_REPORT = ".modelgate/report.json"


@dataclass
class _State:
    spec: Spec
    spec_nodeid: str
    seed: int | None
    report_path: Path
    results: dict[str, list[CheckResult]] = field(default_factory=dict)
    other_failures: int = 0
    decision: Decision | None = None
    report_written: Path | None = None
    html_written: Path | None = None
    lineage: dict[str, Any] | None = None
    annotations: list[str] = field(default_factory=list)
    baseline_message: tuple[bool, str] | None = None
    write_errors: list[str] = field(default_factory=list)
    _session: GateSession | None = None

    @property
    def session(self) -> GateSession:
        if self._session is None:
            from .session import GateSession

            self._session = GateSession(self.spec, self.seed)
        return self._session


_STATE = pytest.StashKey[_State]()
_PLUGIN_NAME = "modelgate-run"


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
    parser.addini(
        "modelgate_spec", help="path of the gate spec, relative to the rootdir", default=None
    )


def _yaml_args(config: pytest.Config) -> list[Path]:
    """YAML files given as positional arguments (``pytest --modelgate release.yaml``)."""
    found = []
    for arg in config.args:
        path_part = str(arg).split("::")[0]
        if path_part.lower().endswith((".yaml", ".yml")):
            found.append(Path(config.invocation_params.dir, path_part).resolve())
    return list(dict.fromkeys(found))


def _spec_path(config: pytest.Config) -> Path:
    """--modelgate-spec, else the ini option, else a YAML positional argument, else gates.yaml
    in the rootdir."""
    yaml_args = _yaml_args(config)
    option = config.getoption("modelgate_spec")
    ini = config.getini("modelgate_spec")
    if option:
        chosen = Path(config.invocation_params.dir, option).resolve()
    elif ini:
        base = config.inipath.parent if config.inipath else config.rootpath
        chosen = Path(base, str(ini)).resolve()
    elif len(yaml_args) > 1:
        shown = ", ".join(display_path(p) for p in yaml_args)
        raise pytest.UsageError(f"modelgate evaluates one gate spec per run; got {shown}")
    elif yaml_args:
        return yaml_args[0]
    else:
        return (config.rootpath / "gates.yaml").resolve()
    others = [p for p in yaml_args if p != chosen]
    if others:
        source = "--modelgate-spec" if option else "the ini option modelgate_spec"
        raise pytest.UsageError(
            f"{display_path(others[0])} is not the gate spec of this run ({source} names "
            f"{display_path(chosen)}); pass only one"
        )
    return chosen


def _nodeid_of(config: pytest.Config, path: Path) -> str:
    try:
        return path.relative_to(config.rootpath).as_posix()
    except ValueError:
        return path.as_posix()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "modelgate: a model release gate from the gate spec")
    if not config.getoption("modelgate"):
        return
    from .errors import SpecError
    from .spec import load_spec

    report = config.getoption("modelgate_report")
    report_path = (
        Path(config.invocation_params.dir, report) if report else config.rootpath / DEFAULT_REPORT
    ).resolve()
    if not hasattr(config, "workerinput"):
        from ._paths import check_writable

        html = config.getoption("modelgate_html")
        for what, target in (
            ("--modelgate-report", report_path),
            ("--modelgate-html", Path(config.invocation_params.dir, html) if html else None),
        ):
            problem = target and check_writable(target, what)
            if problem:
                raise pytest.UsageError(f"{problem}; nothing was run")
        if report_path.is_file():
            # a report left by an earlier run must not pass for this run's, whatever happens next
            report_path.unlink()
    if config.getoption("modelgate_force") and not config.getoption("modelgate_update_baseline"):
        raise pytest.UsageError("--modelgate-force only applies with --modelgate-update-baseline")
    path = _spec_path(config)
    try:
        spec = load_spec(path)
    except SpecError as exc:
        raise pytest.UsageError(f"invalid gate spec\n{exc}") from None
    if spec.data.engine != "memory":
        from .engines import missing_dependency

        missing = missing_dependency(spec.data.engine)
        if missing:
            raise pytest.UsageError(f"{spec.where('data', 'engine')}: {missing}; nothing was run")
    state = _State(
        spec,
        _nodeid_of(config, spec.path),
        config.getoption("modelgate_seed"),
        report_path,
    )
    config.stash[_STATE] = state
    config.pluginmanager.register(_RunHooks(state), _PLUGIN_NAME)


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
    return [
        f"modelgate: spec {state.spec_nodeid} ({len(state.spec.gates)} gates), "
        f"seed {seed}, sha256 {state.spec.sha256[:12]}"
    ]


class ModelgateWarning(pytest.PytestWarning):
    """A gate with ``severity: warn`` failed: reported, not blocking."""


class GateFailed(Exception):
    """Raised by a gate item whose verdict blocks; carries the results for the failure text."""

    def __init__(self, results: list[CheckResult], total: int) -> None:
        super().__init__(results[0].message)
        self.results = results
        self.total = total


def _slice_label(r: CheckResult) -> str:
    from ._format import slice_label

    return f"[{slice_label(r.slice)}] " if r.slice else ""


class GatesFile(pytest.File):
    """The gate spec as a pytest collector: one item per gate."""

    def collect(self):  # type: ignore[override]
        state = self.config.stash[_STATE]
        for gate in state.spec.gates:
            yield GateItem.from_parent(self, name=gate.id, gate=gate)


class GateItem(pytest.Item):
    """One gate of the spec, run as a test item (its location is the gate's YAML line)."""

    def __init__(self, *, gate: Gate, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = gate
        self.add_marker("modelgate")

    def runtest(self) -> None:
        from .checks.slices import worst_verdict
        from .results import Verdict

        state = self.config.stash[_STATE]
        session = state.session
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        capman = self.config.pluginmanager.get_plugin("capturemanager")
        if (
            session.pass_pending
            and reporter is not None
            and capman is not None
            and getattr(reporter._tw, "hasmarkup", False)  # an interactive terminal
            and not hasattr(self.config, "workerinput")
        ):
            # a long pass over Parquet files shows its progress line, past pytest's capture
            session.progress = True
            with capman.global_and_fixture_disabled():
                reporter.write_line("")
                results = session.run(self.gate)
        else:
            results = session.run(self.gate)
        # the results travel as JSON (readable in --junitxml, safe over xdist), plus a few flat
        # properties for JUnit viewers
        self.user_properties.append(
            (PROPERTY, json.dumps([r.to_dict() for r in results], sort_keys=True))
        )
        verdict = worst_verdict(results)
        first = results[0].to_dict()
        iv = first.get("interval")
        self.user_properties.append(("modelgate_verdict", verdict.value))
        if len(results) == 1:
            self.user_properties += [
                ("modelgate_estimate", first.get("estimate")),
                (
                    "modelgate_interval",
                    f"[{iv['low']}, {iv['high']}] {iv['level']} {iv['method']}" if iv else None,
                ),
            ]
        else:
            self.user_properties.append(("modelgate_slices", len(results)))
        bad = [r for r in results if r.verdict is verdict]
        if verdict is Verdict.FAIL and self.gate.severity == "warn":
            # a warning gate reports, it does not fail: pytest's warnings summary shows it
            for r in bad:  # located at the gate's line in the spec
                warnings.warn_explicit(
                    ModelgateWarning(f"{_slice_label(r)}{r.message}"),
                    category=ModelgateWarning,
                    filename=str(self.path),
                    lineno=self.gate.line,
                )
            return
        if verdict in (Verdict.FAIL, Verdict.ERROR):
            raise GateFailed(bad, len(results))
        if verdict is Verdict.INCONCLUSIVE:
            if state.spec.stats.inconclusive == "fail":
                raise GateFailed(bad, len(results))
            inconclusive = [r for r in results if r.verdict is Verdict.INCONCLUSIVE]
            reason = (
                "; ".join(_slice_label(r) + r.message for r in inconclusive)
                if len(results) > 1
                else bad[0].message
            )
            # reported at the gate's line in gates.yaml (as skip marks are), not at this file
            raise pytest.skip.Exception(reason, _use_item_location=True)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if not isinstance(excinfo.value, GateFailed):
            return str(super().repr_failure(excinfo, style=style))
        failed, total = excinfo.value.results, excinfo.value.total
        r0 = failed[0]
        where = f"{r0.spec_file}:{r0.line}" if r0.line else str(r0.spec_file)
        parts = []
        if total > 1:
            parts.append(
                f"{r0.verdict.value}: gate {r0.id} on {len(failed)} of {total} slices "
                f"({r0.rule or r0.evidence})"
            )
        for r in failed:
            parts.append(f"{_slice_label(r)}{r.message}")
            if r.details and r.details != r.message.removeprefix("ERROR: "):
                parts.append(r.details)
        parts.insert(1, f"{where}: gate {r0.id} (severity {r0.severity})")
        return "\n".join(parts)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.gate.line - 1, f"gate {self.gate.id}"


class _RunHooks:
    """Hooks that need the run's state; registered only when ``--modelgate`` is on."""

    def __init__(self, state: _State) -> None:
        self.state = state

    def pytest_collect_file(
        self, file_path: Path, parent: pytest.Collector
    ) -> pytest.Collector | None:
        if file_path.resolve() == self.state.spec.path:
            return GatesFile.from_parent(parent, path=file_path)
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(
        self, session: pytest.Session, items: list[pytest.Item]
    ) -> None:
        # ordinary tests marked @pytest.mark.modelgate(severity=...) count in the decision;
        # the severity travels with the report (xdist-safe)
        for item in items:
            marker = item.get_closest_marker("modelgate")
            if marker is not None and not isinstance(item, GateItem):
                severity = marker.kwargs.get("severity", "block")
                if severity not in ("block", "review", "warn"):
                    raise pytest.UsageError(
                        f"{item.nodeid}: @pytest.mark.modelgate(severity={severity!r}): allowed "
                        "severities are 'block', 'review', 'warn'"
                    )
                item.user_properties.append((TEST_PROPERTY, severity))
        # tryfirst: runs before -k/-m deselection, so gates added here are selectable like tests
        if any(isinstance(i, GateItem) for i in items):
            return
        spec_file = GatesFile.from_parent(session, path=self.state.spec.path)
        items[:0] = list(spec_file.collect())

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # on the xdist controller this also receives the workers' reports
        from .results import CheckResult, Verdict

        state = self.state
        props = [v for k, v in report.user_properties if k == PROPERTY]
        if props:
            results = [CheckResult.from_dict(d) for d in json.loads(str(props[-1]))]
            state.results[results[0].id] = results
            return
        marked = [v for k, v in report.user_properties if k == TEST_PROPERTY]
        if marked:
            if report.when == "call" or report.failed or report.skipped:
                verdict = (
                    Verdict.FAIL
                    if report.failed
                    else Verdict.INCONCLUSIVE
                    if report.skipped
                    else Verdict.PASS
                )
                crash = getattr(report.longrepr, "reprcrash", None)
                why = crash.message if crash is not None else ""
                state.results[report.nodeid] = [
                    CheckResult(
                        id=report.nodeid,
                        name=report.nodeid,
                        kind="test",
                        severity=str(marked[-1]),
                        verdict=verdict,
                        message=f"{verdict.value}: test {report.nodeid}"
                        + (f": {why}" if why else ""),
                    )
                ]
            return
        if not report.failed:
            return
        if report.nodeid.startswith(state.spec_nodeid + "::"):
            gate_id = report.nodeid.split("::", 1)[1]
            gate = next((g for g in state.spec.gates if g.id == gate_id), None)
            crash = getattr(report.longrepr, "reprcrash", None)
            last = crash.message if crash is not None else str(report.longrepr).strip()[-300:]
            state.results[gate_id] = [
                CheckResult(
                    id=gate_id,
                    name=gate_id,
                    kind=gate.kind if gate else "metric",
                    severity=gate.severity if gate else "block",
                    verdict=Verdict.ERROR,
                    message=f"ERROR: the gate crashed during {report.when}: {last}",
                    line=gate.line if gate else None,
                    spec_file=state.spec_nodeid,
                )
            ]
        else:
            state.other_failures += 1

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        from .decision import decide

        state = self.state
        if session.config.option.collectonly:
            return  # nothing was evaluated: no decision, no report
        results = _ordered(state)
        state.decision = decide(
            results,
            inconclusive=state.spec.stats.inconclusive,
            expected=[g.id for g in state.spec.gates],
            primary=state.spec.primary_metric,
        )
        if hasattr(session.config, "workerinput"):
            return  # xdist worker: the controller decides and writes files
        if session.exitstatus == pytest.ExitCode.OK or (
            # a failed non-blocking gate (review/warn) does not fail the run; but a partial run
            # (-k, -x, ...) never lowers pytest's own status: an unrun gate might have blocked
            session.exitstatus == pytest.ExitCode.TESTS_FAILED
            and state.other_failures == 0
            and results
            and not state.decision.partial
        ):
            session.exitstatus = state.decision.exit_code_for(
                session.config.getoption("modelgate_fail_on")
            )
        _write_report(session, state, results)
        _junit_global_properties(session.config, state)
        html_path = session.config.getoption("modelgate_html")
        if html_path:
            from .report import write_reports

            target = Path(session.config.invocation_params.dir, html_path)
            try:
                (state.html_written,) = write_reports(
                    results, state.decision, lineage=state.lineage, spec=state.spec, html=target
                )
            except OSError as exc:
                _report_write_failed(session, f"the HTML report to {target}", exc)
        if os.environ.get("GITHUB_ACTIONS") == "true":
            from .report.github import write_github

            state.annotations = write_github(
                state.spec, results, state.decision, state.report_written
            )
        if session.config.getoption("modelgate_update_baseline"):
            state.baseline_message = _update_baseline(session.config, state, results)

    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        state = self.state
        if state.decision is None or hasattr(config, "workerinput"):
            return
        from .report import format_decision_section

        results = _ordered(state)
        tr = terminalreporter
        tr.write_sep("=", "modelgate release decision")
        seed = state.seed if state.seed is not None else state.spec.stats.seed
        header = f"spec {state.spec_nodeid} (sha256 {state.spec.sha256[:12]}), seed {seed}"
        lines = format_decision_section(results, state.decision, header)
        colour = {
            "block": {"red": True},
            "review": {"yellow": True},
            "canary": {"yellow": True},
            "promote": {"green": True},
        }
        for line in lines[:-1]:
            tr.write_line(line)
        tr.write_line(lines[-1], bold=True, **colour[state.decision.outcome])
        fail_on = config.getoption("modelgate_fail_on")
        if fail_on != "block" and state.decision.exit_code_for(fail_on) != state.decision.exit_code:
            tr.write_line(
                f"exit status 1: --modelgate-fail-on={fail_on} and the decision is "
                f"{state.decision.outcome.upper()}"
                + (" with warnings" if state.decision.warnings else ""),
                red=True,
            )
        if state.report_written is not None:
            tr.write_line(f"report: {display_path(state.report_written)}")
        if state.html_written is not None:
            tr.write_line(f"html: {display_path(state.html_written)}")
        for text in state.write_errors:
            tr.write_line(text, red=True, bold=True)
        for line in state.annotations:  # GitHub workflow commands go to stdout
            tr.write_line(line)
        if state.baseline_message is not None:
            ok, text = state.baseline_message
            tr.write_line(text, green=ok, red=not ok, bold=not ok)


def _update_baseline(
    config: pytest.Config, state: _State, results: list[CheckResult]
) -> tuple[bool, str]:
    """Store the candidate as the baseline, unless a blocking gate failed (or the run was
    partial) and --modelgate-force was not given."""
    from .errors import ModelgateError
    from .results import Verdict

    force = config.getoption("modelgate_force")
    blocking = [
        r for r in results if r.severity == "block" and r.verdict in (Verdict.FAIL, Verdict.ERROR)
    ]
    assert state.decision is not None
    if not force and (blocking or state.decision.partial):
        why = (
            f"{len(blocking)} blocking gate(s) failed: {', '.join(r.id for r in blocking[:4])}"
            if blocking
            else "only part of the gates ran"
        )
        return False, (
            f"baseline NOT updated: {why}. Fix the candidate, or pass "
            "--modelgate-force to store it anyway"
        )
    try:
        paths = state.session.store_baseline(results)
    except ModelgateError as exc:
        return False, f"baseline NOT updated: {exc}"
    shown = ", ".join(display_path(p) for p in paths)
    return True, (
        f"baseline updated: {shown} — review and commit these files; compare gates "
        "pair against them from now on"
    )


def _junit_global_properties(config: pytest.Config, state: _State) -> None:
    """The decision as testsuite-level properties of --junitxml (valid in xunit1 and xunit2)."""
    try:
        from _pytest.junitxml import xml_key
    except ImportError:  # pragma: no cover - pytest internals moved
        return
    xml = config.stash.get(xml_key, None)
    if xml is None or state.decision is None:
        return
    xml.add_global_property("modelgate_decision", state.decision.outcome)
    xml.add_global_property("modelgate_partial", str(state.decision.partial).lower())
    if state.decision.reasons:
        xml.add_global_property("modelgate_reason", state.decision.reasons[0])


def _ordered(state: _State) -> list[CheckResult]:
    """Every result (one per gate, or per gate × slice) in the spec's gate order."""
    order = {g.id: i for i, g in enumerate(state.spec.gates)}
    ids = sorted(state.results, key=lambda gate_id: order.get(gate_id, len(order)))
    return [r for gate_id in ids for r in state.results[gate_id]]


def _write_report(session: pytest.Session, state: _State, results: list[CheckResult]) -> None:
    from .report import build_report, write_report

    assert state.decision is not None
    lineage: dict[str, Any] = {}
    task = None
    try:
        lineage = state.session.lineage()
        state.lineage = lineage
        task = state.session.loaded.task if results else None
    except Exception:  # best effort: a data error is already reported as a gate ERROR
        pass
    report = build_report(results, state.decision, lineage, spec_path=state.spec_nodeid, task=task)
    try:
        state.report_written = write_report(report, state.report_path)
    except OSError as exc:
        _report_write_failed(session, f"the JSON report to {state.report_path}", exc)


def _report_write_failed(session: pytest.Session, what: str, exc: OSError) -> None:
    """A report that was asked for but could not be written fails the run (exit 3): CI steps
    that read it must not go on with a stale or missing file. No partial file is left."""
    state = session.config.stash[_STATE]
    state.write_errors.append(
        f"modelgate: cannot write {what}: {exc.strerror or exc} (exit status 3: the run's "
        "result is in the terminal output above; fix the path or the folder's permissions)"
    )
    if session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR


@dataclass(repr=False)
class ModelgateFixture:
    """What the ``modelgate`` fixture gives a test: the spec's data, predictions and an
    :class:`~pytest_modelgate.api.Evaluation` over them (loaded once per session)."""

    spec: Spec
    session: GateSession

    def __repr__(self) -> str:  # shown in failure tracebacks: keep it to one short line
        return f"<modelgate fixture: spec {display_path(self.spec.path)}>"

    def _loaded(self) -> Any:
        from .errors import ModelgateError

        try:
            return self.session.loaded
        except ModelgateError as exc:  # bad input: a clear failure, not a traceback
            problem = str(exc)
        # outside the except block: no "During handling of the above exception" chain
        pytest.fail(f"modelgate fixture: {problem}", pytrace=False)

    @property
    def data(self) -> Any:
        """The test data (a pandas DataFrame)."""
        return self._loaded().data.frame

    @property
    def candidate(self) -> Any:
        """The candidate's evidence (encoded labels, predictions, scores)."""
        return self._loaded().candidate

    @property
    def baseline(self) -> Any:
        """The baseline's evidence, or None without a baseline."""
        from .errors import ModelgateError

        self._loaded()
        try:
            return self.session.baseline.evidence
        except ModelgateError as exc:
            problem = str(exc)
        pytest.fail(f"modelgate fixture: {problem}", pytrace=False)

    @property
    def evaluation(self) -> Any:
        """An Evaluation over the candidate (and baseline), every data column sliceable."""
        if not hasattr(self, "_evaluation"):
            from .api import evaluation_from_evidence

            self._loaded()
            # the session's own inputs: fixture queries share the gates' numbers and caches
            self._evaluation = evaluation_from_evidence(
                self.candidate,
                self.baseline,
                self.data,
                defaults=self.session.inputs.defaults,
                inputs=self.session.inputs,
            )
        return self._evaluation

    def model(self, role: str = "candidate") -> Any:
        """The loaded model object (for golden cases), or an error for prediction columns."""
        from .loading import load_model

        ref = getattr(self.spec.models, role)
        if not isinstance(ref, str):
            pytest.skip(f"models.{role} is given as prediction columns; there is no model object")
        return load_model(ref, self.spec, role)[0]


_FIXTURE_KEY = pytest.StashKey[ModelgateFixture]()


@pytest.fixture(scope="session")
def modelgate(request: pytest.FixtureRequest) -> ModelgateFixture:
    """The gate spec's data, predictions and evaluation, loaded once per session.

    Available with ``--modelgate`` or when a gate spec exists (``--modelgate-spec``, the ini
    option ``modelgate_spec``, or ``gates.yaml`` in the rootdir); otherwise the test is skipped.
    """
    config = request.config
    if _FIXTURE_KEY in config.stash:
        return config.stash[_FIXTURE_KEY]
    state = config.stash.get(_STATE, None)
    if state is not None:
        fixture = ModelgateFixture(state.spec, state.session)
    else:
        from .errors import SpecError
        from .session import GateSession
        from .spec import load_spec

        path = _spec_path(config)
        if not path.is_file():
            pytest.skip(
                f"the modelgate fixture needs a gate spec: none at {display_path(path)} "
                "(create gates.yaml, or pass --modelgate-spec PATH)"
            )
        try:
            spec = load_spec(path)
        except SpecError as exc:
            raise pytest.UsageError(f"invalid gate spec\n{exc}") from None
        fixture = ModelgateFixture(spec, GateSession(spec, config.getoption("modelgate_seed")))
    config.stash[_FIXTURE_KEY] = fixture
    return fixture

"""After the gates: the results gathered (also from xdist workers), the decision, the exit status,
the reports and the terminal section."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_modelgate._paths import display_path

if TYPE_CHECKING:  # pragma: no cover
    from pytest_modelgate.results import CheckResult

from pytest_modelgate.plugin.items import GateItem, GatesFile
from pytest_modelgate.plugin.state import _STATE, PROPERTY, TEST_PROPERTY, _State


class _RunHooks:
    """Hooks that need the run's state; registered only when ``--modelgate`` is on."""

    def __init__(self, state: _State, xunit2: bool = False) -> None:
        self.state = state
        self.xunit2 = xunit2  # --junitxml with junit_family=xunit2, on the controller

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

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        """Load the data and predict before the first gate (each xdist worker too), so that the
        first gate's JUnit ``time`` is its own, not the loading of everything. A failure is
        kept by the session and becomes each gate's ERROR as before. Grouped engines load in
        the first gate, where their progress line is shown."""
        if session.config.option.collectonly or self.state.spec.data.engine != "memory":
            return
        gates = [i for i in session.items if isinstance(i, GateItem)]
        if not gates:
            return
        from pytest_modelgate.errors import ModelgateError

        gate_session = self.state.session
        try:
            gate_session.data  # noqa: B018 - a cached property: loads once
            if any(item.gate.kind != "check" for item in gates):
                gate_session.loaded  # noqa: B018
        except ModelgateError:
            pass  # kept; every gate that needs it reports it

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # on the xdist controller this also receives the workers' reports
        from pytest_modelgate.results import CheckResult, Verdict

        state = self.state
        original = list(report.user_properties)
        props = [v for k, v in original if k == PROPERTY]
        if self.xunit2:
            # pytest's xunit2 schema has no per-testcase <properties>: ours go to the testsuite
            # (_junit_global_properties); read them here first, then keep them out of the XML
            report.user_properties = [
                (k, v) for k, v in report.user_properties if not str(k).startswith("modelgate")
            ]
        if props:
            results = [CheckResult.from_dict(d) for d in json.loads(str(props[-1]))]
            state.results[results[0].id] = results
            return
        marked = [v for k, v in original if k == TEST_PROPERTY]
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
        """Decide, set the exit status and write the reports. Whatever happens here — even a
        model calling sys.exit() while the reports are written — the run does not end green:
        only an interrupt (Ctrl-C, exit status 2) passes through."""
        from pytest_modelgate.errors import reraise_interrupt, user_error_text

        try:
            self._finish(session)
        except BaseException as exc:
            reraise_interrupt(exc)
            if isinstance(exc, Exception) and os.environ.get("MODELGATE_RAISE_INTERNAL_ERRORS"):
                raise
            self.state.write_errors.append(
                f"modelgate: the run could not finish ({user_error_text(exc)}); exit status 3: "
                "no release decision can be trusted from this run"
            )
            session.exitstatus = pytest.ExitCode.INTERNAL_ERROR

    def _finish(self, session: pytest.Session) -> None:
        from pytest_modelgate.decision import decide

        state = self.state
        if session.config.option.collectonly:
            return  # nothing was evaluated: no decision, no report
        results = _ordered(state)
        state.decision = decide(
            results,
            inconclusive=state.spec.stats.inconclusive,
            expected=[g.id for g in state.spec.gates],
            primary=state.spec.primary_metric,
            canary_plan=state.spec.canary_plan,
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
        _run_audits(session.config, state)  # scan/mutate: reports only (#20)
        _write_report(session, state, results)
        _junit_global_properties(session.config, state)
        html_path = session.config.getoption("modelgate_html")
        if html_path:
            from pytest_modelgate.report import write_reports

            target = Path(session.config.invocation_params.dir, html_path)
            try:
                (state.html_written,) = write_reports(
                    results,
                    state.decision,
                    lineage=state.lineage,
                    spec=state.spec,
                    html=target,
                    sections=state.audit_sections,
                )
            except OSError as exc:
                _report_write_failed(session, f"the HTML report to {target}", exc)
        if os.environ.get("GITHUB_ACTIONS") == "true":
            from pytest_modelgate.report.github import write_github

            state.annotations = write_github(
                state.spec, results, state.decision, state.report_written
            )
        if session.config.getoption("modelgate_update_baseline"):
            state.baseline_message = _update_baseline(session.config, state, results)
        _history_and_markdown(session, state, results)
        from pytest_modelgate.plugin.registry import finish_registry  # #18: MLflow log/promote

        finish_registry(session, state, results)

    def pytest_terminal_summary(self, terminalreporter: Any, config: pytest.Config) -> None:
        state = self.state
        if state.decision is None or hasattr(config, "workerinput"):
            return
        from pytest_modelgate.report import format_decision_section

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
        if state.history_lines:
            from pytest_modelgate._format import one_line

            for text in state.history_lines:  # store paths and URLs come from the spec
                tr.write_line(one_line(text))
        from pytest_modelgate._format import safe_lines
        from pytest_modelgate.plugin.registry import registry_lines  # #18: MLflow

        for ok, text in registry_lines(config):
            tr.write_line(safe_lines(text), green=ok, red=not ok, bold=not ok)
        if state.audit_lines:
            from pytest_modelgate._format import safe_lines

            tr.write_sep("=", "modelgate: what the gates miss (no effect on the decision)")
            for line in state.audit_lines:
                tr.write_line(safe_lines(line))


def _update_baseline(
    config: pytest.Config, state: _State, results: list[CheckResult]
) -> tuple[bool, str]:
    """Store the candidate as the baseline, unless a blocking gate failed (or the run was
    partial) and --modelgate-force was not given."""
    from pytest_modelgate.errors import ModelgateError
    from pytest_modelgate.results import Verdict

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
    """The decision as testsuite-level properties of --junitxml (valid in xunit1 and xunit2);
    with xunit2 also each result's verdict and estimate, which xunit1 has per testcase."""
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
    if xml.family == "xunit2":  # no per-testcase properties there: each result's verdict here
        from pytest_modelgate.report.terminal import label_of

        for r in _ordered(state):
            estimate = "" if r.estimate is None else f" {r.estimate:.6g}"
            xml.add_global_property(f"modelgate_verdict[{label_of(r)}]", r.verdict.value + estimate)


def _ordered(state: _State) -> list[CheckResult]:
    """Every result (one per gate, or per gate × slice) in the spec's gate order."""
    order = {g.id: i for i, g in enumerate(state.spec.gates)}
    ids = sorted(state.results, key=lambda gate_id: order.get(gate_id, len(order)))
    return [r for gate_id in ids for r in state.results[gate_id]]


def _write_report(session: pytest.Session, state: _State, results: list[CheckResult]) -> None:
    from pytest_modelgate.report import build_report, write_report

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
    report.update(state.audits)  # "scan" / "mutation" sections, when asked for (#20)
    state.report = report
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


def _history_and_markdown(
    session: pytest.Session, state: _State, results: list[CheckResult]
) -> None:
    """Append the run to the history (unless partial, ``history: false`` or
    ``--modelgate-no-history``) and write ``--modelgate-markdown`` (with the diff against the
    pull request's base branch's last run when there is one). A store or a file that cannot be
    written fails the run (exit 3), like a report that cannot be written."""
    from pytest_modelgate.errors import DataError
    from pytest_modelgate.history import HistoryError, run_context

    config = session.config
    assert state.decision is not None
    spec = state.spec
    enabled = spec.doc.history is not False and not config.getoption("modelgate_no_history")
    markdown = config.getoption("modelgate_markdown")
    if not enabled and not markdown:
        return
    context = run_context(spec.root)
    base = None
    base_name = context.get("base_branch") or ""
    if markdown and base_name and spec.doc.history is not False:
        from pytest_modelgate.runner.history import _open

        try:
            store = _open(spec)
            try:
                base = store.last(base_name)
            finally:
                store.close()
            if base is None:
                state.history_lines.append(
                    f"markdown: no run of the base branch {base_name} in the history yet; "
                    "the report shows this run only"
                )
        except (DataError, HistoryError) as exc:
            state.history_lines.append(f"markdown: no diff against {base_name} ({exc})")
    partial = state.decision.partial
    if (
        enabled
        and state.report is not None
        and (not partial or config.getoption("modelgate_history_partial"))
    ):
        from pytest_modelgate.runner.history import record_run

        try:
            run_id, promoted, where = record_run(
                state.session, state.report, results, partial=partial, context=context
            )
            state.history_lines.append(
                f"history: run {run_id} recorded in {where}"
                + (" as a promoted release" if promoted else "")
            )
        except DataError as exc:
            _report_write_failed(session, "the run to the history store", OSError(str(exc)))
    elif enabled and partial:
        state.history_lines.append(
            "history: not recorded (a partial run; --modelgate-history-partial records it)"
        )
    if markdown:
        from pytest_modelgate._paths import atomic_write
        from pytest_modelgate.report.github import markdown_summary

        target = Path(config.invocation_params.dir, markdown)
        try:
            atomic_write(
                target,
                markdown_summary(
                    results, state.decision, state.report_written, base=base, base_name=base_name
                ),
            )
            state.history_lines.append(f"markdown: {display_path(target)}")
        except OSError as exc:
            _report_write_failed(session, f"the Markdown report to {target}", exc)


def _run_audits(config: pytest.Config, state: _State) -> None:
    """``--modelgate-scan`` and ``--modelgate-mutate``: their sections for the terminal and the
    JSON report. They never change the decision or the exit status: a scan or mutation run that
    cannot be done says why in its section."""
    from pytest_modelgate.audit.render import mutation_lines, scan_lines
    from pytest_modelgate.errors import ModelgateError, user_error_text

    for option, key, run, render, title in (
        ("modelgate_scan", "scan", "scan_session", scan_lines, "Weak-slice scan"),
        ("modelgate_mutate", "mutation", "mutate_session", mutation_lines, "Mutation testing"),
    ):
        if not config.getoption(option):
            continue
        from pytest_modelgate.runner import audit

        try:
            outcome = getattr(audit, run)(state.session)
        except Exception as exc:
            # a report must not turn a decided run into a crash: a bug of ours is named as one
            # (our own test suite raises it instead)
            if not isinstance(exc, ModelgateError) and os.environ.get(
                "MODELGATE_RAISE_INTERNAL_ERRORS"
            ):
                raise
            why = (
                user_error_text(exc)
                if isinstance(exc, ModelgateError)
                else f"internal error ({type(exc).__name__}: {exc}); this is a bug, please "
                "report it"
            )
            text = f"--{option.replace('_', '-')}: not run: {why}"
            state.audits[key] = {"error": text}
            state.audit_lines.append(text)
            state.audit_sections.append((title, [text]))
            continue
        state.audits[key] = outcome.to_dict()
        lines = render(outcome)
        state.audit_lines.extend(lines)
        state.audit_sections.append((title, lines))

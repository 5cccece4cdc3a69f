"""Collection: ``gates.yaml`` as a pytest file whose items are its gates."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from pytest_modelgate.results import CheckResult
    from pytest_modelgate.spec import Gate

from pytest_modelgate._format import safe_lines
from pytest_modelgate.plugin.state import _STATE, PROPERTY


class ModelgateWarning(pytest.PytestWarning):
    """A gate with ``severity: warn`` failed: reported, not blocking."""


class GateFailed(Exception):
    """Raised by a gate item whose verdict blocks; carries the results for the failure text."""

    def __init__(self, results: list[CheckResult], total: int) -> None:
        super().__init__(results[0].message)
        self.results = results
        self.total = total


def _slice_label(r: CheckResult) -> str:
    from pytest_modelgate._format import slice_label

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
        from pytest_modelgate.checks.slices import worst_verdict
        from pytest_modelgate.results import Verdict

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
            # a warning gate reports, it does not fail: pytest's warnings summary shows it.
            # `-W error` / `filterwarnings = error` must not turn it into a failed item with an
            # internal traceback while the decision (which does not block on it) exits 0: the
            # severity decides, so the filter is pinned for this one warning category
            # (--modelgate-fail-on=warn is how a warn gate blocks).
            with warnings.catch_warnings():
                warnings.simplefilter("always", ModelgateWarning)
                for r in bad:  # located at the gate's line in the spec
                    warnings.warn_explicit(
                        ModelgateWarning(safe_lines(f"{_slice_label(r)}{r.message}")),
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
            raise pytest.skip.Exception(safe_lines(reason), _use_item_location=True)

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
        # pytest prints this on stdout: a model's exception text must not start a command line
        return safe_lines("\n".join(parts))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.gate.line - 1, f"gate {self.gate.id}"

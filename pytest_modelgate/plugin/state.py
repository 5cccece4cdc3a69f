"""The plugin's state for one run, and which gate spec the run evaluates."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_modelgate._paths import display_path

if TYPE_CHECKING:  # pragma: no cover
    from pytest_modelgate.decision import Decision
    from pytest_modelgate.results import CheckResult
    from pytest_modelgate.runner.session import GateSession
    from pytest_modelgate.spec import Spec


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
    report: dict[str, Any] | None = None
    history_lines: list[str] = field(default_factory=list)
    audits: dict[str, Any] = field(default_factory=dict)  # --modelgate-scan/-mutate (#20)
    audit_lines: list[str] = field(default_factory=list)
    audit_sections: list[tuple[str, list[str]]] = field(default_factory=list)
    _session: GateSession | None = None

    @property
    def session(self) -> GateSession:
        if self._session is None:
            from pytest_modelgate.runner.session import GateSession

            self._session = GateSession(self.spec, self.seed)
        return self._session


_STATE = pytest.StashKey[_State]()
_PLUGIN_NAME = "modelgate-run"


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

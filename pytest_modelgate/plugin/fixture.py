"""The ``modelgate`` fixture: the spec's data, predictions and an Evaluation, loaded once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from pytest_modelgate._paths import display_path

if TYPE_CHECKING:  # pragma: no cover
    from pytest_modelgate.runner.session import GateSession
    from pytest_modelgate.spec import Spec

from pytest_modelgate.plugin.state import _STATE, _spec_path


@dataclass(repr=False)
class ModelgateFixture:
    """What the ``modelgate`` fixture gives a test: the spec's data, predictions and an
    :class:`~pytest_modelgate.api.Evaluation` over them (loaded once per session)."""

    spec: Spec
    session: GateSession

    def __repr__(self) -> str:  # shown in failure tracebacks: keep it to one short line
        return f"<modelgate fixture: spec {display_path(self.spec.path)}>"

    def _loaded(self) -> Any:
        from pytest_modelgate.errors import ModelgateError

        try:
            return self.session.loaded
        except ModelgateError as exc:  # bad input: a clear failure, not a traceback
            problem = str(exc)
        # outside the except block: no "During handling of the above exception" chain
        pytest.fail(f"modelgate fixture: {problem}", pytrace=False)

    @property
    def data(self) -> Any:
        """The test data (a pandas DataFrame), every column."""
        self._loaded()
        return self.session.full_frame

    @property
    def candidate(self) -> Any:
        """The candidate's evidence (encoded labels, predictions, scores)."""
        return self._loaded().candidate

    @property
    def baseline(self) -> Any:
        """The baseline's evidence, or None without a baseline."""
        from pytest_modelgate.errors import ModelgateError

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
            from pytest_modelgate.api import evaluation_from_evidence

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
        from pytest_modelgate.inputs.loading import load_model

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
        from pytest_modelgate.errors import SpecError
        from pytest_modelgate.runner.session import GateSession
        from pytest_modelgate.spec import load_spec

        path = _spec_path(config)
        if not path.is_file():
            pytest.skip(
                f"the modelgate fixture needs a gate spec: none at {display_path(path)} "
                "(create gates.yaml, or pass --modelgate-spec PATH)"
            )
        from pytest_modelgate.plugin import with_option_overrides

        try:
            spec = with_option_overrides(config, load_spec(path))
        except SpecError as exc:
            raise pytest.UsageError(f"invalid gate spec\n{exc}") from None
        fixture = ModelgateFixture(spec, GateSession(spec, config.getoption("modelgate_seed")))
    config.stash[_FIXTURE_KEY] = fixture
    return fixture

"""One exception family: every error a user can cause names the file, the line and the key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "DataError",
    "ModelError",
    "ModelgateError",
    "SpecError",
    "SpecProblem",
    "did_you_mean",
    "reraise_interrupt",
    "user_error_text",
]


def did_you_mean(missing: Sequence[object], names: Sequence[object]) -> str:
    """``"; did you mean 'income'?"`` for the closest existing names (empty when none is close).

    With several missing names each hint says which one it is for."""
    import difflib

    choices = [str(n) for n in names]
    hints = []
    for m in missing:
        close = difflib.get_close_matches(str(m), choices, n=1)
        if close:
            hints.append(repr(close[0]) if len(missing) == 1 else f"{close[0]!r} for {m!r}")
    return f"; did you mean {', '.join(hints)}?" if hints else ""


class ModelgateError(Exception):
    """Root of every error pytest-modelgate raises on purpose (bad input, not a bug)."""


@dataclass(frozen=True)
class SpecProblem:
    """One thing wrong in a gate spec, located at ``file:line`` and a dotted key path."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class SpecError(ModelgateError):
    """The gate spec (``gates.yaml``) is invalid; carries every problem found, each with its line.

    The message reads ``gates.yaml:LINE: key.path: what is wrong (got VALUE; allowed: ...)``,
    one problem per line.
    """

    def __init__(self, problems: Sequence[SpecProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def line(self) -> int | None:
        """The line of the first problem (used for CI annotations)."""
        return self.problems[0].line if self.problems else None


class InvertedScoresWarning(UserWarning):
    """Binary scores that rank the positive class below the negative one far beyond chance (or
    disagree with the predicted labels): most often the column of the *other* class was taken
    (``predict_proba(X)[:, 1]`` where ``classes_[1]`` is the negative class)."""


class DataError(ModelgateError):
    """A data file is missing, unreadable, or lacks a column the spec names."""


class ModelError(ModelgateError):
    """A model cannot be loaded or cannot produce the predictions a gate needs."""


def reraise_interrupt(exc: BaseException) -> None:
    """Code of the user's (a model's ``predict``, a module imported for a model) may raise
    anything. Only an interrupt (Ctrl-C) stops the run; ``SystemExit`` and every other
    ``BaseException`` must become the gate's ERROR — never a green exit status."""
    if isinstance(exc, (KeyboardInterrupt, GeneratorExit)):
        raise exc


def user_error_text(exc: BaseException) -> str:
    """``ValueError: bad input``; ``it called sys.exit(0)`` for a SystemExit."""
    if isinstance(exc, SystemExit):
        return (
            f"it called sys.exit({exc.code!r}), which a release gate does not allow to end the run"
        )
    return f"{type(exc).__name__}: {exc}"

"""Bad input to a data check: a DataError that is also the KeyError/TypeError/ValueError it names.

The data-check functions raise these, and only these, for a problem with what they were given
(a column absent or not numeric, a parameter out of range). The gate runner turns exactly these
into a located :class:`~pytest_modelgate.errors.DataError` (``gates.yaml:LINE: key: ...``);
any other exception in a check is a bug of ours and propagates as one.
"""

from __future__ import annotations

from pytest_modelgate.errors import DataError

__all__ = ["BadParameter", "ColumnNotNumeric", "ColumnsAbsent", "DataCheckInputError"]


class DataCheckInputError(DataError):
    """A data check cannot run on its input; ``key`` names the argument at fault, if one is."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ColumnsAbsent(DataCheckInputError, KeyError):
    """A named column is not in the data."""


class ColumnNotNumeric(DataCheckInputError, TypeError):
    """A column compared as numbers holds something else (e.g. text)."""


class BadParameter(DataCheckInputError, ValueError):
    """A parameter out of its range or not one of the allowed values."""

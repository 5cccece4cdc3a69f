"""Shared fixtures: small, seeded, generated data (tests never read the example data)."""

from __future__ import annotations

import os

import numpy as np
import pytest

# in production an unexpected exception becomes an ERROR verdict ("internal error ... please
# report"); in our own tests it must surface as the bug it is
os.environ.setdefault("MODELGATE_RAISE_INTERNAL_ERRORS", "1")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261127)


# a real PostgreSQL server for the history store's tests (#17), started once per session
from tests.postgres import fresh_postgres, postgres_url  # noqa: E402, F401

"""Shared fixtures: small, seeded, generated data (tests never read the example data)."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261127)

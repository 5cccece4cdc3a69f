"""``python -m pytest_modelgate.dashboard`` = ``modelgate dashboard``."""

from pytest_modelgate.dashboard.cli import main

raise SystemExit(main())

"""``python -m pytest_modelgate ...``: the ``modelgate`` command (see :mod:`.cli`)."""

from pytest_modelgate.cli import main

raise SystemExit(main())

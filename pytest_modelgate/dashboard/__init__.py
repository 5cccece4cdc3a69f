"""The history dashboard: a self-contained static site from the release history (#17).

:func:`build_dashboard` turns history records (a run's JSON report plus ``history``) into
``DIR/index.html``, readable offline and publishable as it is (GitHub Pages). The charts are
Vega-Lite, built with altair, with the Vega JavaScript inlined from vl-convert-python: the
``[dashboard]`` extra. ``modelgate dashboard`` (:mod:`.cli`) is the command line.

- :mod:`.tables`: records → flat rows (runs, gate results, per-column check values);
- :mod:`.charts`: the chart specs;
- :mod:`.page`: the HTML page, its filters and the escaping of record text.

See docs/dashboard.md.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pytest_modelgate.dashboard.tables import DashboardError, read_jsonl, tables_from_records

__all__ = ["DashboardError", "build_dashboard", "read_jsonl"]


def build_dashboard(
    records: Iterable[Mapping[str, Any]],
    output: str | os.PathLike[str],
    *,
    title: str = "Model release history",
    source: str = "history",
) -> Path:
    """Write the dashboard of ``records`` to ``output/index.html`` and return its path.

    Parameters
    ----------
    records : history records, any order (drawn by ``history.recorded_at``).
    output : the site's folder (created; ``index.html`` and ``.nojekyll`` are written).
    title : the page title.
    source : how error messages name the records (a file or a store).

    Raises
    ------
    DashboardError
        A record is not a record (the message names it), or altair/vl-convert-python are
        missing (``pip install 'pytest-modelgate[dashboard]'``).
    """
    from pytest_modelgate._paths import atomic_write
    from pytest_modelgate.dashboard.charts import import_altair
    from pytest_modelgate.dashboard.page import build_page, vega_bundle

    tables = tables_from_records(records, source)
    if not tables.runs:
        raise DashboardError(f"{source}: no records to draw")
    alt = import_altair()
    page = build_page(tables, title=title, bundle=vega_bundle(alt))
    folder = Path(output)
    if folder.exists() and not folder.is_dir():
        raise DashboardError(f"{folder}: the output must be a folder (it is a file)")
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / ".nojekyll", "")  # GitHub Pages: serve the folder as it is
    return atomic_write(folder / "index.html", page)

"""The dashboard page: one self-contained ``index.html`` (Vega, Vega-Lite and vega-embed
inlined, no network), its filters, and the escaping of everything that came from records.

Text from the records goes into the page three ways, each escaped for where it lands:
HTML text and attributes (``html.escape``); the chart specs, as JSON inside a
``<script type="application/json">`` element whose ``<``, ``>``, ``&`` and U+2028/U+2029 are
``\\uXXXX`` escapes (so no ``</script>`` or ``<!--`` can end or change the element); and the
charts themselves, which draw it as SVG text (Vega) and tooltips (vega-tooltip escapes HTML).
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pytest_modelgate.dashboard.tables import DashboardError, HistoryTables, group_rows

__all__ = ["build_page", "script_json", "vega_bundle"]

_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(value: Any) -> str:
    """JSON that is inert inside a ``<script>`` element: no ``<``, ``>`` or ``&`` characters
    remain (they are ``\\u003c`` … inside strings, the only place JSON can hold them)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return "".join(_JSON_ESCAPES.get(ch, ch) for ch in text)


# the bundle's entry point: the three libraries as globals for the page's own script
_GLOBALS = "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"


def _cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "pytest-modelgate"


def _vega_lite_version(vlc: Any, alt: Any) -> str:
    """The Vega-Lite that altair writes specs for, as vl-convert names its bundles."""
    wanted = ".".join(str(alt.SCHEMA_VERSION).lstrip("v").split(".")[:2])
    available = list(vlc.get_vegalite_versions())
    if wanted in available:
        return wanted
    same_major = [v for v in available if v.split(".")[0] == wanted.split(".")[0]]
    if not same_major:
        raise DashboardError(
            f"altair writes Vega-Lite {wanted} specs, but vl-convert-python "
            f"{getattr(vlc, '__version__', '?')} bundles only Vega-Lite {', '.join(available)}: "
            "upgrade one of them (pip install -U 'pytest-modelgate[dashboard]')"
        )
    return max(same_major, key=lambda v: tuple(int(p) for p in v.split(".")))


def vega_bundle(alt: Any) -> str:
    """The JavaScript of vega, vega-lite and vega-embed as one script (globals ``vega``,
    ``vegaLite``, ``vegaEmbed``), from vl-convert-python.

    Bundling takes seconds, so the result is kept in ``$XDG_CACHE_HOME/pytest-modelgate/``
    (``~/.cache``), one file per vl-convert and Vega-Lite version; an unwritable cache only
    costs the time."""
    import vl_convert as vlc

    version = _vega_lite_version(vlc, alt)
    key = f"vega-bundle-{getattr(vlc, '__version__', 'x')}-vl{version}-1.js"
    cached = _cache_dir() / key
    try:
        text = cached.read_text(encoding="utf-8")
    except OSError:
        text = ""
    if "vegaEmbed" not in text:  # not cached yet (the cache is written atomically)
        text = vlc.javascript_bundle(_GLOBALS, vl_version=version)
        try:
            from pytest_modelgate._paths import atomic_write

            cached.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(cached, text)
        except OSError:
            pass
    if "</script" in text.lower() or "<!--" in text:
        raise DashboardError(
            f"the vl-convert bundle ({key}) holds '</script' or '<!--' and cannot be inlined; "
            f"delete {cached} and report this"
        )
    return text


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2328;
background:#f6f8fa}
header{background:#fff;border-bottom:1px solid #d0d7de;padding:1rem 2rem;position:sticky;top:0;
z-index:2}
h1{font-size:1.3rem;margin:0 0 .3rem 0} h2{font-size:1.05rem;margin:0 0 .5rem 0}
main{padding:1rem 2rem;max-width:1250px}
.muted{color:#57606a;font-size:.85rem} .controls{display:flex;gap:1.5rem;margin-top:.5rem}
label{font-size:.9rem} select{font-size:.9rem;max-width:28rem}
section{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:.8rem 1rem;
margin:0 0 1rem 0;overflow-x:auto}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:1rem}
.grid section{margin:0} .chart{width:100%} .key span{margin-right:1.2rem;white-space:nowrap}
.sw{display:inline-block;width:.8rem;height:.8rem;vertical-align:middle;margin-right:.3rem}
h2 code{font-size:.95rem;overflow-wrap:anywhere} [hidden]{display:none!important}
"""

# the page's own script: no value from the records is written into it (they arrive as JSON)
_SCRIPT = """
(function () {
  "use strict";
  var specs = JSON.parse(document.getElementById("mg-specs").textContent);
  var views = [];
  var errors = [];
  var ready = Promise.all(specs.map(function (item) {
    var el = document.getElementById(item.id);
    return vegaEmbed(el, item.spec, {renderer: "svg", actions: false}).then(function (res) {
      views.push(res.view);
      el.setAttribute("data-rendered", "true");
    }).catch(function (err) {
      errors.push(String(err));
      el.textContent = "this chart could not be drawn: " + err;
      throw err;
    });
  }));
  var branch = document.getElementById("mg-branch");
  var gate = document.getElementById("mg-gate");
  function filterBranch() {
    return Promise.all(views.map(function (view) {
      view.signal("BRANCH_PARAM", branch.value);
      return view.runAsync();
    }));
  }
  function filterGate() {
    document.querySelectorAll("section[data-gate]").forEach(function (el) {
      el.hidden = gate.value !== "" && el.getAttribute("data-gate") !== gate.value;
    });
  }
  branch.addEventListener("change", function () { api.filtered = filterBranch(); });
  gate.addEventListener("change", filterGate);
  var api = {ready: ready, views: views, errors: errors, filtered: ready};
  window.modelgateDashboard = api;
})();
"""


def _when(iso: str) -> str:
    """``2026-06-02 09:30 UTC`` from the tables' ISO times (always UTC)."""
    return f"{iso[:10]} {iso[11:16]} UTC"


_WORST_FIRST = ("FAIL", "ERROR", "INCONCLUSIVE", "PASS")


def _latest(rows: Sequence[Mapping[str, Any]]) -> str:
    """``last run 2026-10-26 06:00 UTC: FAIL`` — a sliced gate's worst slice in its last run."""
    if not rows:
        return ""
    last = max(r["run"] for r in rows)
    verdicts = {r["verdict"] for r in rows if r["run"] == last}
    worst = next(v for v in _WORST_FIRST if v in verdicts)
    when = next(r["time"] for r in rows if r["run"] == last)
    return f"last run {_when(when)}: {worst}"


def _h(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _swatch(colour: str, label: str) -> str:
    return f"<span><span class='sw' style='background:{colour}'></span>{_h(label)}</span>"


def _key() -> str:
    from pytest_modelgate.dashboard.charts import BAND, BAR, RELEASE, VERDICT_COLOURS
    from pytest_modelgate.dashboard.tables import VERDICTS

    parts = [_swatch(c, v) for v, c in zip(VERDICTS, VERDICT_COLOURS, strict=True)]
    parts += [
        _swatch(BAND, "estimate, its interval as a band"),
        _swatch(BAR, "the bar (dashed; it may change between runs)"),
        _swatch(RELEASE, "promoted release (dotted vertical line)"),
    ]
    return f"<p class='key muted'>{''.join(parts)}</p>"


def _options(values: Sequence[str], first: tuple[str, str]) -> str:
    opts = [f"<option value='{_h(first[0])}'>{_h(first[1])}</option>"]
    opts += [f"<option value='{_h(v)}'>{_h(v)}</option>" for v in values]
    return "".join(opts)


def build_page(tables: HistoryTables, *, title: str, bundle: str) -> str:
    """The whole page as one string (charts are built here, with altair)."""
    from pytest_modelgate.dashboard import charts

    alt = charts.import_altair()
    specs: list[dict[str, Any]] = []
    blocks: list[str] = []

    def add(spec: dict[str, Any]) -> str:
        chart_id = f"chart-{len(specs)}"
        specs.append({"id": chart_id, "spec": spec})
        return f"<div class='chart' id='{chart_id}'></div>"

    timeline = add(charts.decision_timeline(alt, tables))
    if any(r.get("gate_coverage") is not None for r in tables.runs):  # --modelgate-mutate (#20)
        timeline += add(charts.coverage_chart(alt, tables))
    by_gate = group_rows(tables.gates, "gate")
    columns = group_rows(tables.columns, "gate")
    for gate in tables.gate_order:
        info: Mapping[str, Any] = tables.gate_info.get(gate, {})
        rows = by_gate.get(gate, [])
        if any(r["estimate"] is not None for r in rows):
            sliced = gate in tables.sliced
            chart_title = str(info.get("metric") or gate)
            drawn = [add(charts.gate_chart(alt, rows, title=chart_title, sliced=sliced))]
        else:  # e.g. a gate that only ever ended in ERROR: nothing to draw, and Vega would warn
            drawn = ["<p class='muted'>no estimate in any run</p>"]
        if gate in columns:
            drawn.append(add(charts.column_check_chart(alt, columns[gate], title="per column")))
        latest = _latest(rows)
        wide = " style='grid-column:1/-1'" if gate in tables.sliced or gate in columns else ""
        blocks.append(
            f"<section data-gate='{_h(gate)}'{wide}>"
            f"<h2><code>{_h(gate)}</code></h2>"
            f"<p class='muted'>{_h(info.get('kind', ''))}, severity {_h(info.get('severity', ''))}"
            f"; {_h(info.get('rule', ''))}; {_h(latest)}</p>"
            f"{''.join(drawn)}</section>"
        )
    runs = tables.runs
    last = runs[-1] if runs else {}
    generated = _when(datetime.now(timezone.utc).isoformat(timespec="seconds"))
    summary = (
        f"{len(runs)} run{'s' if len(runs) != 1 else ''} from {_h(_when(runs[0]['time']))} to "
        f"{_h(_when(last['time']))}; {sum(r['promoted'] for r in runs)} promoted; latest "
        f"decision <b>{_h(str(last.get('decision', '-')).upper())}</b> on "
        f"{_h(last.get('branch', '-'))}. Generated {_h(generated)}."
    )
    from pytest_modelgate.dashboard.charts import ALL_BRANCHES, BRANCH_PARAM

    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_h(title)}</title><style>{_CSS}</style></head><body>"
        f"<header><h1>{_h(title)}</h1><div class='muted'>{summary}</div>"
        "<div class='controls'>"
        f"<label>gate <select id='mg-gate'>{_options(tables.gate_order, ('', '(all gates)'))}"
        "</select></label>"
        f"<label>branch <select id='mg-branch'>"
        f"{_options(tables.branches, (ALL_BRANCHES, ALL_BRANCHES))}</select></label>"
        f"</div>{_key()}</header><main>"
        f"<section>{timeline}</section>"
        f"<div class='grid'>{''.join(blocks)}</div>"
        "<p class='muted'>pytest-modelgate dashboard: every chart is drawn from the history "
        "records in this page; nothing is loaded from the network.</p>"
        "</main>"
        f"<script type='application/json' id='mg-specs'>{script_json(specs)}</script>"
        f"<script>{bundle}</script>"
        f"<script>{_SCRIPT.replace('BRANCH_PARAM', BRANCH_PARAM)}</script>"
        "</body></html>\n"
    )

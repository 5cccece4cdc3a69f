"""Gates proposed as YAML to paste under ``gates:``: for the scan's confirmed slices and the
mutation report's survivors.

Column names and values come from the data and may be anything (``: #``, quotes, ``yes``,
line breaks, control characters): every gate is written by ``yaml.safe_dump``, which quotes
and escapes what YAML would otherwise read differently, and comments are one printable line
(:func:`~pytest_modelgate._format.one_line`). ``tests/unit/test_scan.py`` parses the snippets
back with the spec loader and checks that they select exactly the intended rows.
"""

from __future__ import annotations

from typing import Any

from pytest_modelgate._format import one_line

__all__ = ["gates_yaml", "scan_gate", "scan_snippet"]


def gates_yaml(entries: list[tuple[list[str], dict[str, Any]]]) -> str:
    """``gates:`` list items (indented two spaces, as in ``gates.yaml``), each preceded by its
    comment lines."""
    import yaml

    lines: list[str] = []
    for comments, gate in entries:
        lines.extend(f"  # {one_line(c)}" for c in comments)
        text = yaml.safe_dump(
            [gate], sort_keys=False, allow_unicode=True, default_flow_style=False, width=10**6
        )
        lines.extend(f"  {line}" for line in text.rstrip("\n").split("\n"))
    return "\n".join(lines) + ("\n" if lines else "")


def scan_gate(result: Any, finding: Any, number: int) -> dict[str, Any]:
    """The gate that pins a confirmed slice at the low end of its confirmation interval
    (lenient: it fails only when the slice is shown worse than it is now)."""
    from pytest_modelgate.audit.scan import round_bar

    higher = result.higher_is_better
    bar = round_bar(finding.low if higher else finding.high, higher)
    return {
        "metric": result.metric,
        ("min" if higher else "max"): bar,
        "slices": [{"where": {c.column: c.where_value() for c in finding.conditions}}],
        "evidence": "lenient",
        "name": f"scan_{number}_{result.metric}",
    }


def scan_snippet(result: Any) -> str:
    entries = []
    for i, f in enumerate(result.findings, start=1):
        pct = f"{result.level:.0%}"
        comments = [
            f"--modelgate-scan (seed {result.seed}): {result.metric} = {f.estimate:.4f} "
            f"[{f.low:.4f}, {f.high:.4f}] on {f.key} (n = {f.n}), {f.rest:.4f} on the other rows",
            f"the bar is the {'lower' if result.higher_is_better else 'upper'} end of its {pct} "
            "confirmation interval: it fails when the slice is shown to get worse",
        ]
        entries.append((comments, scan_gate(result, f, i)))
    return gates_yaml(entries)

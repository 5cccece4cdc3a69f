"""Text sections of the scan and the mutation report (terminal, HTML ``<pre>``); every value from
the data goes through :func:`~pytest_modelgate._format.one_line`, the plugin prints each line
through ``safe_lines``."""

from __future__ import annotations

from typing import Any

from pytest_modelgate._format import one_line

__all__ = ["mutation_lines", "scan_lines"]


def _table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def scan_lines(result: Any) -> list[str]:
    """The ranked findings and the proposed gates."""
    how = (
        "a seeded half of the rows searched, the other half confirmed"
        if result.split == "half"
        else "data.scan searched, the test rows confirmed"
    )
    correction = "Holm (family-wise)" if result.correction == "holm" else "Benjamini-Hochberg (FDR)"
    lines = [
        f"scan: {result.metric} over {len(result.columns)} column(s), "
        f"{result.n_discovery:,} + {result.n_confirmation:,} rows ({how}; seed {result.seed}); "
        f"{result.candidates:,} slices searched, {result.carried} carried, "
        f"{len(result.findings)} confirmed ({correction} at {result.alpha:g}) "
        f"in {result.seconds:.2f} s ({result.cpu_seconds:.2f} s CPU)",
        f"  {result.metric} on the confirmation rows: {result.overall:.4f}",
    ]
    if result.skipped:
        lines.append(f"  not searched: {one_line('; '.join(result.skipped))}")
    if not result.findings:
        lines.append("  no slice is confirmed worse than the other rows")
        return lines
    pct = f"{result.level:.0%}"
    rows = [["rank", "slice", "n", result.metric, f"{pct} interval", "rest", "shortfall", "adj. p"]]
    for i, f in enumerate(result.findings, start=1):
        merged = (
            f" (+{len(f.merged)} sub-slice{'s' if len(f.merged) > 1 else ''})" if f.merged else ""
        )
        rows.append(
            [
                str(i),
                one_line(f.key) + merged,
                f"{f.n:,}",
                f"{f.estimate:.4f}",
                f"[{f.low:.4f}, {f.high:.4f}]",
                f"{f.rest:.4f}",
                f"{f.shortfall:+.4f} [{f.shortfall_low:+.4f}, {f.shortfall_high:+.4f}]",
                f"{f.adjusted_p:.2g}",
            ]
        )
    lines.extend("  " + r for r in _table(rows))
    lines.append("  proposed gates (paste under `gates:` in gates.yaml):")
    lines.extend(result.proposed.rstrip("\n").split("\n"))
    return lines


def mutation_lines(report: Any) -> list[str]:
    """Coverage, one row per operator × target (which strengths were killed, and by what), the
    weakest strength each gate kills, and the survivors with their verified gates."""
    n = len(report.mutants)
    coverage = f"{report.coverage:.0%}" if n else "n/a"
    lines = [
        f"mutation: {n} mutants, {report.killed} killed: gate coverage {coverage} "
        f"({len(report.gates)} gates re-run per mutant; seed {report.seed}; "
        f"{report.seconds:.1f} s, {report.cpu_seconds:.1f} s CPU)"
    ]
    if report.not_rerun:
        lines.append(f"  not re-run (check: gates): {one_line(', '.join(report.not_rerun))}")
    if report.skipped_operators:
        lines.append(f"  operators skipped: {one_line('; '.join(report.skipped_operators))}")
    families: dict[tuple[str, str], list[Any]] = {}
    for m in report.mutants:
        families.setdefault((m.operator, m.target), []).append(m)
    rows = [["operator", "target", "strengths (x = killed)", "killed by (strongest)"]]
    for (operator, target), members in families.items():
        marks = " ".join(f"{m.strength:g}{'x' if m.killed else '-'}" for m in members)
        killers = members[-1].killed_by
        shown = ", ".join(killers[:3]) + (f" +{len(killers) - 3}" if len(killers) > 3 else "")
        rows.append([operator, one_line(target), marks, one_line(shown) or "SURVIVED"])
    if n:
        lines.extend("  " + r for r in _table(rows))
    if report.weakest:
        lines.append("  weakest strength each gate kills:")
        for gate, kills in report.weakest.items():
            parts = ", ".join(f"{one_line(k)} >= {v:g}" for k, v in list(kills.items())[:6])
            more = f" (+{len(kills) - 6} more)" if len(kills) > 6 else ""
            lines.append(f"    {one_line(gate)}: {parts}{more}")
    if report.survivors:
        lines.append(f"  survivors ({len(report.survivors)}) and a verified gate for each:")
        for s in report.survivors:
            if not s.suggestion:
                lines.append(
                    f"    {s.operator} {one_line(s.target)}: no gate from the short list both "
                    "passes the candidate and kills it"
                )
        if report.snippet:
            lines.append("  proposed gates (paste under `gates:` in gates.yaml):")
            lines.extend(report.snippet.rstrip("\n").split("\n"))
    return lines

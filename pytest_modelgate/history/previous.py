"""What the history-based gates read: earlier releases, their numbers and predictions.

``compare: previous`` compares with the last promoted release; with ``max_cumulative_drop``
with the release named by ``since`` (``first``, a tag, or the N-th last). It pairs when that
release's per-row predictions were stored and its rows' fingerprint equals this run's
(:func:`~pytest_modelgate.history.predictions.rows_fingerprint`); otherwise it is unpaired,
from the release's stored estimate and interval, and says why.

The unpaired comparison treats the release's estimate and the candidate's as independent
(Δ's SE = √(SE_c² + SE_r²), each SE read from its interval): that is exact when the release was
measured on other, independent test rows, and conservative when the rows overlap (shared rows
correlate the two estimates positively, which makes the true SE of Δ smaller). What it
controls is the error about the difference of the two *measured* populations: when the test
data changed in kind (drift, a new period), Δ mixes the model's change with the data's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pytest_modelgate.errors import DataError

__all__ = ["ReleaseHistory", "release_label"]


def release_label(record: dict[str, Any]) -> str:
    """``release v1.2 (run 7, 2026-11-29)`` or ``run 7 (2026-11-29, commit abc123)``."""
    h = record.get("history") or {}
    when = str(h.get("recorded_at") or "")[:10]
    commit = str(h.get("commit") or "")[:7]
    if h.get("release"):
        return f"release {h['release']} (run {h.get('run_id')}, {when})"
    return f"run {h.get('run_id')} ({when}" + (f", commit {commit})" if commit else ")")


@dataclass
class ReleaseHistory:
    """The promoted releases of a store, read once, and this run's rows' fingerprint."""

    store: Any  # HistoryStore
    fingerprint: str | None
    where: str
    _promoted: list[dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def releases(self) -> list[dict[str, Any]]:
        """The promoted releases, oldest first."""
        if self._promoted is None:
            self._promoted = self.store.promoted()
        return self._promoted

    def release(self, since: int | str | None) -> dict[str, Any] | None:
        """The last promoted release (``since`` None), the first (``"first"``), the N-th last
        (an int) or the one tagged ``since``; None when the history has none yet.

        Raises
        ------
        DataError
            ``since`` names a tag no promoted release carries, or more releases than exist.
        """
        found = self.releases
        if not found:
            return None
        if since is None:
            return found[-1]
        if since == "first":
            return found[0]
        if isinstance(since, int):
            if since > len(found):
                raise DataError(
                    f"{self.where}: since: {since} asks for the {since}-th last promoted "
                    f"release, but the history ({self.store.where}) holds {len(found)}"
                )
            return found[-since]
        tagged = [r for r in found if (r.get("history") or {}).get("release") == since]
        if not tagged:
            tags = sorted(
                {str(r["history"]["release"]) for r in found if r["history"].get("release")}
            )
            from pytest_modelgate.errors import did_you_mean

            raise DataError(
                f"{self.where}: since: no promoted release is tagged {since!r} in "
                f"{self.store.where} (tags: {', '.join(tags) or 'none'}"
                f"{did_you_mean([since], tags)})"
            )
        return tagged[-1]

    def paired_evidence(self, record: dict[str, Any], candidate: Any) -> tuple[Any, str]:
        """The release's predictions as evidence on this run's rows, or (None, why not)."""
        from pytest_modelgate.history.predictions import unpack_predictions

        if self.fingerprint is None:
            return None, "this run's rows have no fingerprint (a grouped engine keeps no rows)"
        stored = self.store.predictions(int(record["history"]["run_id"]))
        if stored is None:
            return (
                None,
                "the release's per-row predictions were not stored (imported, or a grouped engine)",
            )
        if stored.fingerprint != self.fingerprint:
            return None, "the test rows changed since that release (their fingerprints differ)"
        return unpack_predictions(stored.payload, candidate)

    @staticmethod
    def number(record: dict[str, Any], metric: str) -> dict[str, Any] | None:
        """The release's estimate and interval of ``metric`` on all rows, if it has one."""
        numbers = (record.get("history") or {}).get("metrics") or {}
        entry = numbers.get(metric)
        if entry and entry.get("estimate") is not None:
            return entry
        for gate in record.get("gates") or []:  # a metric gate of that run
            if (
                gate.get("kind") == "metric"
                and gate.get("metric") == metric
                and not gate.get("slice")
                and gate.get("estimate") is not None
                and (gate.get("interval") or {}).get("low") is not None
            ):
                return {
                    "estimate": gate["estimate"],
                    "interval": gate["interval"],
                    "n": gate.get("n"),
                }
        return None

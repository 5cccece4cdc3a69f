"""The stored baseline (``baseline.json`` + ``predictions.csv.gz``): write → read round trip, the
fingerprint that refuses other test data, tamper detection, and format-1 files."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from pytest_modelgate.errors import DataError, ModelError
from pytest_modelgate.evidence.core import Evidence
from pytest_modelgate.runner.baseline import (
    StoredBaseline,
    read_stored_baseline,
    write_stored_baseline,
)

SHA = "5d41402abc4b2a76b9719d911017c592" * 2
OTHER_SHA = "0123456789ab" + "f" * 52
N = 6
RECALL = {
    "estimate": 0.8,
    "interval": {"low": 0.7, "high": 0.9, "level": 0.95, "method": "wilson"},
    "n": 40,
}


def binary_evidence(**kw: Any) -> Evidence:
    base: dict[str, Any] = {
        "task": "binary",
        "classes": ("no", "yes"),
        "y_true": np.array([0, 1, 1, 0, 1, 0]),
        "y_pred": np.array([0, 1, 0, 0, 1, 1]),
        "scores": np.array([0.1, 0.9, 0.1 + 0.2, 1 / 3, 0.75, 0.5000000000000001]),
        "score_kind": "probability",
        "source": "candidate model.pkl",
    }
    base.update(kw)
    return Evidence(**base)


def fingerprints(sha: str = SHA, rows: int = N) -> dict[str, Any]:
    return {
        "data": {"path": "data/test.csv", "sha256": sha, "rows": rows},
        "model": {"path": "model.pkl", "sha256": "abcdef0123456789" * 4},
        "spec": {"sha256": "e" * 64},
        "seed": 0,
        "versions": {"python": "3.x"},
    }


def store(folder: Path, evidence: Evidence | None = None, **kw: Any) -> list[Path]:
    return write_stored_baseline(
        folder,
        evidence=evidence or binary_evidence(),
        metrics=kw.pop("metrics", {"recall": RECALL}),
        fingerprints=kw.pop("fingerprints", fingerprints()),
    )


def read(folder: Path, sha: str = SHA, rows: int = N) -> StoredBaseline | None:
    return read_stored_baseline(folder, data_sha256=sha, n_rows=rows)


def load_meta(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "baseline.json").read_text(encoding="utf-8"))


def save_meta(folder: Path, meta: dict[str, Any]) -> None:
    (folder / "baseline.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


def gz(text: str) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="") as fh:
        fh.write(text.encode())
    return buffer.getvalue()


def as_format_1(folder: Path) -> dict[str, Any]:
    """Rewrite a stored baseline as a format-1 file (no checksum, no predictions sha256)."""
    meta = load_meta(folder)
    for key in ("checksum", "predictions_sha256"):
        del meta[key]
    meta["format_version"] = 1
    save_meta(folder, meta)
    return meta


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path / "store" / "baseline"


# ---------------------------------------------------------------------------- round trip


def test_binary_round_trip(folder: Path) -> None:
    evidence = binary_evidence()
    written = store(folder, evidence)
    assert written == [folder / "baseline.json", folder / "predictions.csv.gz"]
    assert sorted(p.name for p in folder.iterdir()) == ["baseline.json", "predictions.csv.gz"]

    stored = read(folder)
    assert stored is not None and stored.folder == folder
    preds = stored.predictions
    assert preds is not None
    assert list(preds.labels) == ["no", "yes", "no", "no", "yes", "yes"]
    assert preds.scores is not None and preds.scores.dtype == float
    assert np.array_equal(preds.scores, evidence.scores)  # bit for bit (%.17g)
    assert preds.classes is None  # one score column: the positive class's
    assert preds.score_kind == "probability"
    assert preds.source == "stored baseline store/baseline"


def test_metadata(folder: Path) -> None:
    store(folder)
    meta = load_meta(folder)
    raw = (folder / "predictions.csv.gz").read_bytes()
    assert meta["format_version"] == 2
    assert meta["predictions_sha256"] == hashlib.sha256(raw).hexdigest()
    assert meta["checksum"].startswith("sha256:") and len(meta["checksum"]) == 7 + 64
    assert meta["data"] == {"path": "data/test.csv", "sha256": SHA, "rows": N}
    assert meta["model"]["sha256"] == "abcdef0123456789" * 4
    assert (meta["task"], meta["classes"], meta["score_kind"]) == (
        "binary",
        ["no", "yes"],
        "probability",
    )
    assert meta["metrics"] == {"recall": RECALL}
    stored = read(folder)
    assert stored is not None and stored.meta == meta
    assert stored.number("recall") == RECALL
    assert stored.number("precision") is None
    assert stored.describe == (
        f"stored baseline store/baseline (made {meta['created_at']}, model sha256 abcdef012345)"
    )


def test_predictions_file_is_plain_csv_in_row_order(folder: Path) -> None:
    store(folder)
    text = gzip.decompress((folder / "predictions.csv.gz").read_bytes()).decode()
    lines = text.splitlines()
    assert lines[0] == "prediction,score"
    assert lines[1:3] == ["no,0.10000000000000001", "yes,0.90000000000000002"]
    assert len(lines) == 1 + N


def test_same_predictions_give_the_same_bytes(tmp_path: Path) -> None:
    store(tmp_path / "a")
    store(tmp_path / "b", metrics={})
    a = (tmp_path / "a" / "predictions.csv.gz").read_bytes()
    b = (tmp_path / "b" / "predictions.csv.gz").read_bytes()
    assert a == b
    assert a[4:8] == b"\0\0\0\0"  # gzip mtime field


def test_multiclass_round_trip(folder: Path) -> None:
    scores = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [1 / 3, 1 / 3, 1 / 3], [0.0, 1.0, 0.0]])
    evidence = Evidence(
        task="multiclass",
        classes=("cat", "dog", 7),
        y_true=np.array([2, 0, 1, 1]),
        y_pred=np.array([2, 0, 0, 1]),
        scores=scores,
        score_kind="probability",
    )
    store(folder, evidence, fingerprints=fingerprints(rows=4))
    text = gzip.decompress((folder / "predictions.csv.gz").read_bytes()).decode()
    assert text.splitlines()[0] == "prediction,score[cat],score[dog],score[7]"
    stored = read(folder, rows=4)
    assert stored is not None and stored.predictions is not None
    assert [str(v) for v in stored.predictions.labels] == ["7", "cat", "cat", "dog"]
    assert np.array_equal(stored.predictions.scores, scores)
    assert stored.predictions.classes == ("cat", "dog", 7)
    assert stored.meta["classes"] == ["cat", "dog", 7]


def test_regression_round_trip(folder: Path) -> None:
    values = np.array([1.5, -2.25, 0.1 + 0.2, 1e-300, 12345678.123456789])
    evidence = Evidence(
        task="regression",
        classes=(),
        y_true=np.zeros(5),
        y_pred=values,
        scores=None,
        score_kind=None,
    )
    store(folder, evidence, fingerprints=fingerprints(rows=5))
    stored = read(folder, rows=5)
    assert stored is not None and stored.predictions is not None
    assert stored.predictions.scores is None
    assert stored.predictions.score_kind is None
    assert np.array_equal(stored.predictions.labels.astype(float), values)


def test_scores_only(folder: Path) -> None:
    store(folder, binary_evidence(y_pred=None))
    stored = read(folder)
    assert stored is not None and stored.predictions is not None
    assert stored.predictions.labels is None
    assert stored.predictions.scores is not None and len(stored.predictions.scores) == N


def test_numpy_values_are_stored_as_plain_json(folder: Path) -> None:
    metrics = {"recall": {"estimate": np.float64(0.8), "n": np.int64(40), "where": Path("x")}}
    store(folder, metrics=metrics)
    assert load_meta(folder)["metrics"] == {"recall": {"estimate": 0.8, "n": 40, "where": "x"}}
    assert read(folder) is not None  # and the checksum covers the converted values


def test_grouped_evidence_cannot_be_stored(folder: Path) -> None:
    grouped = binary_evidence(weight=np.array([3, 1, 1, 2, 1, 1]), engine="duckdb")
    with pytest.raises(ModelError, match="not available on grouped data"):
        store(folder, grouped)
    assert not (folder / "baseline.json").exists()


def test_undefined_estimate_is_stored_as_valid_json(folder: Path) -> None:
    nan_metric = {"estimate": math.nan, "interval": RECALL["interval"], "n": 0}
    store(folder, metrics={"recall": nan_metric})

    def refuse(token: str) -> Any:
        raise ValueError(f"not JSON: {token}")

    meta = json.loads((folder / "baseline.json").read_text(encoding="utf-8"), parse_constant=refuse)
    assert meta["metrics"]["recall"]["estimate"] is None


@pytest.mark.parametrize(
    "classes", [("01", "02", "10"), ("High", "Low", "None")], ids=["numeric-text", "None"]
)
def test_text_class_labels_round_trip(folder: Path, classes: tuple[str, ...]) -> None:
    from pytest_modelgate.evidence.core import build_evidence

    codes = np.array([0, 1, 2, 2, 1, 0])
    predicted = np.array([0, 1, 2, 1, 1, 0])
    evidence = Evidence("multiclass", classes, codes, predicted, None, None, "candidate")
    store(folder, evidence)
    stored = read(folder)
    assert stored is not None and stored.predictions is not None
    assert list(stored.predictions.labels) == [classes[i] for i in predicted]
    y = pd.Series([classes[i] for i in codes])
    again = build_evidence(y, stored.predictions, "multiclass", None, None, "test data")
    assert again.classes == classes
    assert list(again.y_pred) == list(predicted)


# ---------------------------------------------------------------------------- nothing there


def test_no_baseline_yet(folder: Path) -> None:
    assert read(folder) is None
    folder.mkdir(parents=True)
    (folder / "predictions.csv.gz").write_bytes(gz("score\n0.5\n"))
    assert read(folder) is None  # predictions without baseline.json are not a baseline


def test_numbers_only_skip_the_fingerprint(folder: Path) -> None:
    store(folder)
    (folder / "predictions.csv.gz").unlink()
    stored = read(folder, sha=OTHER_SHA, rows=N + 100)
    assert stored is not None
    assert stored.predictions is None
    assert stored.number("recall") == RECALL


# ---------------------------------------------------------------------------- fingerprint


def test_other_test_data_is_refused(folder: Path) -> None:
    store(folder)
    with pytest.raises(DataError) as info:
        read(folder, sha=OTHER_SHA)
    message = str(info.value)
    assert message.startswith("store/baseline: the stored baseline was made on other test data")
    assert f"(test data sha256 {SHA[:12]} → 0123456789ab)" in message
    assert "rows" not in message.split("→")[1].split(")")[0]
    assert "cannot be paired with these rows" in message
    assert "--modelgate-update-baseline" in message


def test_other_row_count_is_refused(folder: Path) -> None:
    store(folder)
    with pytest.raises(DataError, match=r"other test data \(rows 6 → 7\);"):
        read(folder, rows=N + 1)


def test_both_changes_are_named(folder: Path) -> None:
    store(folder)
    with pytest.raises(DataError) as info:
        read(folder, sha=OTHER_SHA, rows=3)
    assert f"(test data sha256 {SHA[:12]} → 0123456789ab; rows 6 → 3)" in str(info.value)


# ---------------------------------------------------------------------------- tampering


def test_hand_edited_number_is_detected(folder: Path) -> None:
    store(folder)
    meta = load_meta(folder)
    meta["metrics"]["recall"]["estimate"] = 0.85
    save_meta(folder, meta)
    with pytest.raises(DataError) as info:
        read(folder)
    message = str(info.value)
    assert message.startswith("store/baseline/baseline.json: the stored baseline was changed")
    assert "(its checksum does not match its content)" in message
    assert "If the change was not meant" in message and "never edited by hand" in message
    assert "git checkout -- store/baseline/baseline.json" in message


def test_pasted_fingerprint_is_detected(folder: Path) -> None:
    """Pasting the new data's sha256 to silence the fingerprint check is caught by the checksum."""
    store(folder)
    meta = load_meta(folder)
    meta["data"]["sha256"] = OTHER_SHA
    save_meta(folder, meta)
    with pytest.raises(DataError, match="was changed after it was written"):
        read(folder, sha=OTHER_SHA)


def test_reformatting_is_not_an_edit(folder: Path) -> None:
    store(folder)
    meta = load_meta(folder)
    reordered = dict(reversed(list(meta.items())))
    (folder / "baseline.json").write_text(json.dumps(reordered, indent=4), encoding="utf-8")
    stored = read(folder)
    assert stored is not None and stored.predictions is not None


def test_replaced_predictions_are_detected(folder: Path) -> None:
    store(folder)
    other = binary_evidence(scores=np.array([0.9, 0.1, 0.8, 0.7, 0.2, 0.4]))
    store(folder.parent / "other", other)
    (folder / "predictions.csv.gz").write_bytes(
        (folder.parent / "other" / "predictions.csv.gz").read_bytes()
    )
    with pytest.raises(DataError) as info:
        read(folder)
    message = str(info.value)
    assert message.startswith(
        "store/baseline/predictions.csv.gz: the stored predictions were changed after "
        "store/baseline/baseline.json was written (sha256 differs)"
    )
    assert "git checkout -- store/baseline/predictions.csv.gz" in message


def test_corrupt_predictions_are_reported(folder: Path) -> None:
    store(folder)
    as_format_1(folder)  # no sha256 to catch it first: the reader must say why it failed
    (folder / "predictions.csv.gz").write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match=r"cannot read the stored predictions \(BadGzipFile: "):
        read(folder)


# ---------------------------------------------------------------------------- format 1


def test_format_1_still_reads(folder: Path) -> None:
    store(folder)
    meta = as_format_1(folder)
    stored = read(folder)
    assert stored is not None and stored.meta == meta
    assert stored.predictions is not None
    assert list(stored.predictions.labels) == ["no", "yes", "no", "no", "yes", "yes"]
    with pytest.raises(DataError, match=r"rows 6 → 5"):  # the fingerprint is still checked
        read(folder, rows=5)


def test_format_1_edits_cannot_be_detected(folder: Path) -> None:
    store(folder)
    meta = as_format_1(folder)
    meta["metrics"]["recall"]["estimate"] = 0.85
    save_meta(folder, meta)
    stored = read(folder)
    assert stored is not None and stored.number("recall")["estimate"] == 0.85  # type: ignore[index]


def test_format_1_with_too_few_predictions(folder: Path) -> None:
    store(folder)
    as_format_1(folder)
    (folder / "predictions.csv.gz").write_bytes(gz("prediction,score\nno,0.1\nyes,0.9\n"))
    with pytest.raises(
        DataError, match=r"^store/baseline/predictions.csv.gz: 2 stored predictions for 6 test rows"
    ):
        read(folder)


@pytest.mark.parametrize(
    ("csv", "problem"),
    [
        ("prediction,score\n" + "no,0.5\n" * 5 + "yes,\n", "1 stored score row(s) are empty"),
        ("prediction,score\n" + "no,inf\n" * 2 + "no,0.5\n" * 4, "2 stored score row(s)"),
        ("prediction,score\n" + "no,0.5\n" * 5 + "no,high\n", "the stored scores are not all"),
        ("prediction,score\n" + ",0.5\n" + "no,0.5\n" * 5, "1 stored prediction(s) are empty"),
    ],
)
def test_format_1_with_bad_values(folder: Path, csv: str, problem: str) -> None:
    store(folder)
    as_format_1(folder)
    (folder / "predictions.csv.gz").write_bytes(gz(csv))
    with pytest.raises(DataError) as info:
        read(folder)
    assert str(info.value).startswith("store/baseline/predictions.csv.gz: ")
    assert problem in str(info.value)


# ---------------------------------------------------------------------------- unreadable files


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json", "cannot read the stored baseline (Expecting property name"),
        ("[1, 2]", "not a stored baseline this version can read: the top level is a list"),
        ('{"format_version": 3}', "format_version 3 is not one this version reads"),
        ("{}", "format_version None is not one this version reads"),
        ('{"format_version": 1, "data": []}', "'data' is a list, not an object"),
        ('{"format_version": 1, "metrics": {"auc": 0.9}}', "metrics.auc must be an object"),
        (
            '{"format_version": 1, "metrics": {"auc": {"estimate": "high"}}}',
            "metrics.auc must be an object with a numeric 'estimate'",
        ),
        (
            '{"format_version": 1, "metrics": {"auc": {"estimate": 0.9, "interval": {"low": "a"}}}}',
            "metrics.auc must be an object",
        ),
    ],
)
def test_unreadable_baseline_json(folder: Path, text: str, problem: str) -> None:
    folder.mkdir(parents=True)
    (folder / "baseline.json").write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as info:
        read(folder)
    message = str(info.value)
    assert message.startswith("store/baseline/baseline.json: ")
    assert problem in message
    assert "--modelgate-update-baseline" in message


def test_not_utf8(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "baseline.json").write_bytes(b"\xff\xfe{}")
    with pytest.raises(DataError, match="cannot read the stored baseline"):
        read(folder)


def test_unknown_format_names_every_readable_format(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "baseline.json").write_text('{"format_version": 3}', encoding="utf-8")
    with pytest.raises(DataError) as info:
        read(folder)
    assert "(1, 2)" in str(info.value) or "1 and 2" in str(info.value)


def test_a_written_baseline_has_a_supported_format(folder: Path) -> None:
    """Guard for the two above: what the writer writes, the reader reads."""
    store(folder)
    assert read(folder) is not None
    assert pd.read_csv(folder / "predictions.csv.gz").shape == (N, 2)


# ---------------------------------------------------------------------------- concurrent updates


def test_two_processes_storing_at_once_take_turns(folder: Path) -> None:
    """A second process storing into the same folder waits for the first's lock, so the two
    files left are one run's pair (the checksums would otherwise be the only guard)."""
    import subprocess
    import sys

    from pytest_modelgate.runner.baseline import _store_lock

    folder.mkdir(parents=True)
    repo = Path(__file__).resolve().parents[2]
    code = (
        "import sys; from pathlib import Path; "
        "from tests.unit.test_baseline_store import store; "
        "print('ready', flush=True); store(Path(sys.argv[1]))"
    )
    with _store_lock(folder):
        child = subprocess.Popen(
            [sys.executable, "-c", code, str(folder)],
            cwd=repo,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None and child.stdout.readline() == "ready\n"
        with pytest.raises(subprocess.TimeoutExpired):
            child.wait(timeout=0.5)  # blocked on the lock this process holds
        assert not (folder / "baseline.json").exists()
    assert child.wait(timeout=120) == 0
    assert read(folder) is not None

"""``_paths``: how paths are shown, atomic writes, and the early "can this be written?" check."""

from __future__ import annotations

import os
import re
import stat
import tempfile
from pathlib import Path

import pytest

from pytest_modelgate import _paths
from pytest_modelgate._paths import (
    atomic_write,
    check_report_path,
    check_writable,
    display_path,
    not_a_regular_file,
)


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# ---------------------------------------------------------------------------- display_path


def test_below_the_working_folder_is_relative(cwd: Path) -> None:
    assert display_path(cwd / "ml" / "gates.yaml") == "ml/gates.yaml"
    assert display_path(str(cwd / "report.json")) == "report.json"
    assert display_path("ml/../gates.yaml") == "gates.yaml"
    assert display_path(cwd) == "."


def test_outside_the_working_folder_is_absolute(cwd: Path) -> None:
    outside = cwd.parent / "elsewhere" / "gates.yaml"
    shown = display_path(outside)
    assert shown == str(outside.resolve())
    assert os.path.isabs(shown)
    assert display_path("../elsewhere/gates.yaml") == str(outside.resolve())
    assert display_path("/") == "/"


def test_relative_to_a_base(cwd: Path) -> None:
    workspace = cwd.parent / "ws"
    assert display_path(workspace / "ci" / "gates.yaml", workspace) == "ci/gates.yaml"
    assert display_path(str(workspace / "a.yaml"), str(workspace)) == "a.yaml"
    beside = cwd.parent / "other" / "a.yaml"
    assert display_path(beside, workspace) == str(beside.resolve())


def test_names_with_dots_below_the_working_folder(cwd: Path) -> None:
    assert display_path(cwd / ".modelgate" / "baseline") == ".modelgate/baseline"
    assert display_path(cwd / "a..b") == "a..b"


def test_a_name_starting_with_two_dots_is_still_below(cwd: Path) -> None:
    assert display_path(cwd / "..cache" / "report.json") == "..cache/report.json"
    assert display_path(cwd / "..") == str(cwd.parent)


# ---------------------------------------------------------------------------- atomic_write


def test_writes_text_as_utf8_and_returns_the_path(cwd: Path) -> None:
    target = atomic_write("out/nested/r.md", "Δ ≥ 0 — ✅\n")
    assert target == Path("out/nested/r.md") and isinstance(target, Path)
    assert (cwd / "out" / "nested" / "r.md").read_bytes() == "Δ ≥ 0 — ✅\n".encode()
    assert leftovers(cwd / "out" / "nested") == []


def test_writes_bytes_unchanged(cwd: Path) -> None:
    payload = bytes(range(256)) * 3
    atomic_write(cwd / "blob.bin", payload)
    assert (cwd / "blob.bin").read_bytes() == payload


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_replaces_a_longer_file_with_the_umasks_permissions(cwd: Path, umask: int) -> None:
    target = cwd / "r.json"
    target.write_text("x" * 10_000, encoding="utf-8")
    os.chmod(target, 0o600)
    old = os.umask(umask)
    try:
        atomic_write(target, "{}\n")
    finally:
        os.umask(old)
    assert target.read_text(encoding="utf-8") == "{}\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # as a new file would be
    assert sorted(p.name for p in cwd.iterdir()) == ["r.json"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_only_a_regular_file_is_ever_replaced(cwd: Path) -> None:
    os.mkfifo(cwd / "pipe")
    (cwd / "real.json").write_text("real", encoding="utf-8")
    os.symlink("real.json", cwd / "link.json")
    for name, kind in (("pipe", "named pipe (FIFO)"), ("link.json", "symbolic link")):
        before = os.lstat(cwd / name)
        with pytest.raises(OSError, match=f"{name} is a {re.escape(kind)}, not a regular file"):
            atomic_write(cwd / name, "data")
        after = os.lstat(cwd / name)
        assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert (cwd / "real.json").read_text(encoding="utf-8") == "real"
    assert leftovers(cwd) == []


def test_goes_through_a_temporary_file_in_the_same_folder(
    cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str, bytes]] = []
    real_replace = os.replace

    def spy(src: str, dst: str | os.PathLike[str]) -> None:
        seen.append((str(src), str(dst), Path(src).read_bytes()))
        assert not Path(dst).exists() or Path(dst).read_text(encoding="utf-8") == "old"
        real_replace(src, dst)

    (cwd / "sub").mkdir()
    (cwd / "sub" / "r.json").write_text("old", encoding="utf-8")
    monkeypatch.setattr(os, "replace", spy)
    atomic_write(cwd / "sub" / "r.json", "new")
    [(src, dst, data)] = seen
    assert Path(src).parent == (cwd / "sub")  # same folder: the rename is atomic
    assert Path(src).name.startswith(".r.json.") and src.endswith(".tmp")
    assert Path(dst) == cwd / "sub" / "r.json"
    assert data == b"new"  # complete before it is renamed into place
    assert leftovers(cwd / "sub") == []


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_failure_keeps_the_old_file_and_removes_the_temporary(
    cwd: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    target = cwd / "r.json"
    target.write_text("old report", encoding="utf-8")

    def fail(fd: int) -> None:
        raise error

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(type(error)):
        atomic_write(target, "new report")
    assert target.read_text(encoding="utf-8") == "old report"
    assert sorted(p.name for p in cwd.iterdir()) == ["r.json"]


def test_failed_rename_removes_the_temporary(cwd: Path) -> None:
    (cwd / "r.json").mkdir()  # a folder where the file should go
    with pytest.raises(OSError):
        atomic_write(cwd / "r.json", "data")
    assert sorted(p.name for p in cwd.iterdir()) == ["r.json"]
    assert list((cwd / "r.json").iterdir()) == []


# ---------------------------------------------------------------------------- check_writable


def test_writable_path_is_fine_and_nothing_is_created(cwd: Path) -> None:
    assert check_writable(cwd / "r.json", "--modelgate-json") is None
    assert check_writable(cwd / "new" / "deeper" / "r.json", "--modelgate-json") is None
    assert list(cwd.iterdir()) == []  # neither the file nor its missing folders
    (cwd / "r.json").write_text("old", encoding="utf-8")
    assert check_writable(cwd / "r.json", "--modelgate-json") is None
    assert (cwd / "r.json").read_text(encoding="utf-8") == "old"


def test_a_folder_is_not_a_file_name(cwd: Path) -> None:
    (cwd / "reports").mkdir()
    assert check_writable(cwd / "reports", "--modelgate-json") == (
        "--modelgate-json reports is a folder; give a file name (e.g. reports/report.json)"
    )


def test_a_file_in_place_of_a_folder(cwd: Path) -> None:
    (cwd / "reports").write_text("I am a file", encoding="utf-8")
    assert check_writable(cwd / "reports" / "ci" / "r.json", "--modelgate-html") == (
        "--modelgate-html reports/ci/r.json: reports is a file, not a folder"
    )
    assert check_writable(cwd / "reports" / "r.json", "--modelgate-html") == (
        "--modelgate-html reports/r.json: reports is a file, not a folder"
    )


def test_a_folder_without_write_permission(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (cwd / "locked").mkdir()
    real_access = os.access
    # os.access is what the check asks (tests may run as root, for whom chmod says nothing)
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if Path(p).name == "locked" else real_access(p, mode)
    )
    assert check_writable(cwd / "locked" / "sub" / "r.json", "JSON report") == (
        "JSON report locked/sub/r.json: the folder locked is not writable"
    )


def test_a_file_without_write_permission(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (cwd / "r.json").write_text("{}", encoding="utf-8")
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if Path(p).name == "r.json" else real_access(p, mode)
    )
    assert check_writable(cwd / "r.json", "JSON report") == (
        "JSON report r.json: the file is not writable"
    )


def test_a_file_system_that_refuses_writes(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    probed: list[str] = []

    def refuse(*args: object, dir: str | None = None, **kw: object) -> object:
        probed.append(str(dir))
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(tempfile, "TemporaryFile", refuse)
    assert check_writable(cwd / "missing" / "r.json", "JSON report") == (
        "JSON report missing/r.json: cannot write there (Read-only file system)"
    )
    assert probed == [str(cwd)]  # the nearest existing folder is probed
    assert _paths.tempfile is tempfile


def test_the_check_names_what_and_shows_absolute_paths_outside(cwd: Path) -> None:
    outside = cwd.parent / "out"
    outside.mkdir()
    message = check_writable(outside, "--modelgate-markdown")
    shown = str(outside.resolve())
    assert message == (
        f"--modelgate-markdown {shown} is a folder; give a file name (e.g. {shown}/report.json)"
    )


# ---------------------------------------------------------------------------- check_report_path


def test_a_report_path_is_refused_on_an_input_by_any_spelling(cwd: Path) -> None:
    (cwd / "data").mkdir()
    (cwd / "data" / "test.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    os.link(cwd / "data" / "test.csv", cwd / "same.csv")
    inputs = [(cwd / "data" / "test.csv", "the test data (data.test)")]
    for spelling in ("data/test.csv", "data/../data/test.csv", "same.csv"):
        message = check_report_path(Path(spelling).absolute(), "--x", inputs)
        assert message is not None and "is the test data (data.test); writing" in message
    assert check_report_path(cwd / "data" / "other.json", "--x", inputs) is None
    store = [(cwd / ".modelgate" / "baseline", "the baseline store (baseline.store)")]
    message = check_report_path(cwd / ".modelgate" / "baseline" / "r.json", "--x", store)
    assert message == (
        "--x .modelgate/baseline/r.json lies inside the baseline store (baseline.store) "
        "(.modelgate/baseline); give a path outside it (e.g. .modelgate/report.json)"
    )
    assert check_report_path(cwd / ".modelgate" / "report.json", "--x", store) is None


def test_devices_are_named_and_refused_without_writing() -> None:
    assert not_a_regular_file("/dev/null") == "character device"
    assert check_report_path(Path("/dev/null"), "--x") == (
        "--x /dev/null is a character device, not a regular file; a report would replace it: "
        "give a file name"
    )
    assert not_a_regular_file("/nonexistent/file") is None

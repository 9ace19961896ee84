"""One atomic folder writer (#14): a cBioPortal export and a cohort's tables both go through
io/atomic.atomic_folder; an error leaves the old folder exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from tkiresist.errors import FormatError
from tkiresist.io.atomic import atomic_folder


def test_a_new_folder_appears_whole(tmp_path: Path) -> None:
    out = tmp_path / "study"
    with atomic_folder(out) as tmp:
        (tmp / "a.txt").write_text("new", encoding="utf-8")
        assert not out.exists()  # nothing visible until the block ends
    assert (out / "a.txt").read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["study"]  # no temporary left behind


def test_an_error_leaves_the_old_folder_untouched(tmp_path: Path) -> None:
    out = tmp_path / "study"
    out.mkdir()
    (out / "a.txt").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_folder(out, overwrite=True) as tmp:
        (tmp / "a.txt").write_text("half", encoding="utf-8")
        raise RuntimeError("disk full")
    assert (out / "a.txt").read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["study"]


def test_an_existing_folder_needs_overwrite(tmp_path: Path) -> None:
    (tmp_path / "study").mkdir()
    with pytest.raises(FormatError) as info, atomic_folder(tmp_path / "study"):
        pass
    assert "--overwrite" in info.value.message

"""The bounded cache: the last entries kept, the oldest let go of first."""

from __future__ import annotations

from afofit.kept import Kept


def test_kept_lets_go_of_the_oldest_when_full() -> None:
    kept: Kept[str, int] = Kept(2)
    kept.keep("a", 1)
    kept.keep("b", 2)
    assert dict(kept) == {"a": 1, "b": 2}
    kept.keep("c", 3)
    assert dict(kept) == {"b": 2, "c": 3}
    assert kept.get("a") is None and kept["c"] == 3
    kept.pop("b")
    kept.keep("d", 4)
    assert list(kept) == ["c", "d"]

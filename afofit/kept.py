"""A dictionary that keeps its last few entries: the caches of pictures, splats and search
trees that a process reuses within one fitting or comparison, bounded in memory."""

from __future__ import annotations

from typing import Generic, TypeVar

__all__ = ["Kept"]

K = TypeVar("K")
V = TypeVar("V")


class Kept(dict[K, V], Generic[K, V]):
    """A ``dict`` whose :meth:`keep` lets go of the oldest entry first when it holds
    ``most`` already (in the order they were put)."""

    def __init__(self, most: int) -> None:
        super().__init__()
        self.most = most

    def keep(self, key: K, value: V) -> None:
        """Put ``value`` by ``key``, the oldest entry dropped first when full."""
        if len(self) >= self.most:
            self.pop(next(iter(self)))
        self[key] = value

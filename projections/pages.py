"""The ``meta`` of every paginated list (DESIGN.md: page, page_size, total, total_pages)."""

from __future__ import annotations

import msgspec


class PageMeta(msgspec.Struct, kw_only=True):
    page: int
    page_size: int
    total: int
    total_pages: int

    @classmethod
    def of(cls, page: int, page_size: int, total: int) -> PageMeta:
        return cls(
            page=page,
            page_size=page_size,
            total=total,
            total_pages=(total + page_size - 1) // page_size,
        )

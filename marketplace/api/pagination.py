"""Pages of a listing: the `limit` and `offset` query parameters, and one page of a query's rows
with the `Page` fields (the total count and where the next page starts)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from marketplace.api.chain import MAX_ID

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]


@dataclass(frozen=True)
class PageOf(Generic[T]):
    """One page of a listing: its `items` and the `Page` fields, as `XList.model_validate(page)`
    reads them (items that are rows become the list's bodies)."""

    items: Sequence[T]
    total: int
    limit: int
    offset: int

    @property
    def next_offset(self) -> int | None:
        """The offset of the next page; None on the last."""
        end = self.offset + self.limit
        return end if end < self.total else None


def paginate(session: Session, query: Select[T], limit: int, offset: int) -> PageOf[T]:
    """The rows of `query` (ordered by the caller) from `offset`, at most `limit` of them, and
    how many rows the whole query has."""
    counted = select(func.count()).select_from(query.order_by(None).subquery())
    total = session.scalar(counted) or 0
    rows = session.scalars(query.limit(limit).offset(offset)).all()
    return PageOf(rows, total, limit, offset)

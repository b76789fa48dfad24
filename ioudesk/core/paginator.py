"""A paginator for very long lists: counting stops at a cap, so a broad search over a million
rows (every customer called 张) answers as fast as a narrow one. The last page numbers are then
"at least"; nobody pages through 10,000 rows — they narrow the search."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000


def capped_count(queryset, cap: int = COUNT_CAP) -> int:
    """`min(count, cap + 1)` with a LIMIT inside the COUNT, so the database stops early."""
    return queryset[: cap + 1].count()


class CappedPaginator(Paginator):
    @cached_property
    def count(self):
        if hasattr(self.object_list, "query"):
            return capped_count(self.object_list)
        return super().count

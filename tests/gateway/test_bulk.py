"""Chunking, ordering, paging and partial failure of the bulk check."""

import asyncio

import pytest

from hello_dd.services.gateway import bulk
from hello_dd.services.gateway.resilience import DependencyTimeout


def test_ids_are_deduplicated_and_sorted_numerically_before_text():
    assert bulk.distinct_sorted(["505", "abc", "101", "1000", "505", "99", "ab"]) == [
        "99",
        "101",
        "505",
        "1000",
        "ab",
        "abc",
    ]


def test_chunks_cover_every_item_once_in_order():
    items = list(range(45))
    parts = bulk.chunks(items, 20)
    assert [len(p) for p in parts] == [20, 20, 5]
    assert [i for p in parts for i in p] == items


def test_chunk_size_must_be_positive():
    with pytest.raises(ValueError):
        bulk.chunks([1], 0)


@pytest.mark.parametrize(("count", "size", "pages"), [(0, 10, 1), (10, 10, 1), (11, 10, 2), (200, 100, 2)])
def test_total_pages(count, size, pages):
    assert bulk.total_pages(count, size) == pages


def test_page_of_returns_the_requested_slice_and_nothing_past_the_end():
    items = [str(i) for i in range(1, 8)]
    assert bulk.page_of(items, 2, 3) == ["4", "5", "6"]
    assert bulk.page_of(items, 4, 3) == []


async def test_chunks_run_in_parallel_but_never_more_than_the_limit():
    in_flight = 0
    peak = 0

    async def fetch(ids):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return [{"productId": pid, "found": True} for pid in ids]

    found, failed = await bulk.gather_chunks([str(i) for i in range(50)], chunk_size=5, concurrency=3, fetch=fetch)
    assert len(found) == 50 and not failed
    assert peak == 3


async def test_a_failed_chunk_marks_only_its_own_ids():
    async def fetch(ids):
        if "7" in ids:
            raise DependencyTimeout("inventory-service", "too slow")
        return [{"productId": pid, "found": True} for pid in ids]

    found, failed = await bulk.gather_chunks([str(i) for i in range(10)], chunk_size=5, concurrency=2, fetch=fetch)
    assert sorted(found) == ["0", "1", "2", "3", "4"]
    assert failed == {str(i): "DEPENDENCY_TIMEOUT" for i in range(5, 10)}

"""The cycle collector of a serving process (gateway/ops/collector.py): young collections
rare enough that a request's cycles die young, full collections all but gone. Read from
the process's own /metrics (python_gc_collections_total), under real requests."""

from __future__ import annotations

import asyncio
import gc

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.ops.collector import THRESHOLDS, tune_collector
from tests.gateway.queries import KANTATA_DRAFT
from tests.hostile.harness import gateway_process

UPDATE = {
    "query": "mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) "
    "{ invoice { id notes total { amount } } userErrors { code } } }",
    "variables": {"input": {"id": KANTATA_DRAFT, "notes": "collector"}},
}


def _collections(url: str) -> dict[str, float]:
    text = httpx.get(f"{url}/metrics").text
    return {
        sample.labels["generation"]: sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "python_gc_collections"
        for sample in family.samples
    }


async def _updates(url: str, total: int, concurrency: int) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        queue = iter(range(total))

        async def worker() -> None:
            for _ in queue:
                answer = (await client.post("/graphql", json=UPDATE)).json()
                assert answer["data"]["updateInvoice"]["userErrors"] == [], answer

        await asyncio.gather(*(worker() for _ in range(concurrency)))


@pytest.mark.e2e
def test_a_served_gateway_collects_cycles_young_and_seldom() -> None:
    with gateway_process() as gateway:
        asyncio.run(_updates(gateway.url, 50, 8))  # warm: caches filled, pools open
        before = _collections(gateway.url)
        asyncio.run(_updates(gateway.url, 400, 32))
        after = _collections(gateway.url)
    young = after["0"] - before["0"]
    full = after["2"] - before["2"]
    # Measured: 2 young collections here; at CPython's defaults (700, 10, 10) the same 400
    # updates (the embedded sandbox serving them in the same process) ran 84.
    assert young <= 40, (before, after)
    assert full == 0, (before, after)


def test_the_thresholds_are_set_for_the_whole_process() -> None:
    saved = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        tune_collector()
        assert gc.get_threshold() == THRESHOLDS
        assert THRESHOLDS[0] >= 10_000  # young collections rare: see collector.py
    finally:
        gc.set_threshold(*saved)

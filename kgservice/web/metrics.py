"""``/metrics`` in the Prometheus text format (https://prometheus.io/docs/instrumenting/exposition_formats/).

Each app has its own registry, so two apps in one process (tests) do not share counts. Series:
``kgservice_requests_total{endpoint,method,status}``, ``kgservice_request_seconds{endpoint}``
(time to the first byte of the response; bodies stream after it),
``kgservice_query_timeouts_total``, ``kgservice_store_quads`` and ``kgservice_store_graphs``
(read from the store when scraped, cached for a few seconds because counting is a scan),
``kgservice_answer_cache_hits_total``, ``kgservice_answer_cache_misses_total`` and
``kgservice_answer_cache_bytes`` (:mod:`kgservice.sparql.answer_cache`),
``kgservice_worker_memory_limit_bytes`` (under ``kgservice serve`` with a memory limit:
:mod:`kgservice.web.memory_guard`), and the standard ``process_*`` series of the worker process
(``process_resident_memory_bytes``, CPU seconds, open files). Each series is the worker's
that answered the scrape.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from kgservice.sparql.answer_cache import AnswerCache

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_CACHE_SECONDS = 10.0


class _StoreCollector(Collector):
    """Store size gauges, computed on scrape (at most every few seconds)."""

    def __init__(self, quads: Callable[[], int], graphs: Callable[[], int]) -> None:
        self._quads, self._graphs = quads, graphs
        self._cached: tuple[float, int, int] | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = time.monotonic()
        if self._cached is None or now - self._cached[0] > _CACHE_SECONDS:
            try:
                self._cached = (now, self._quads(), self._graphs())
            except Exception:  # a store that is down must not break /metrics
                return
        _, quads, graphs = self._cached
        yield GaugeMetricFamily("kgservice_store_quads", "Quads in the store.", value=quads)
        yield GaugeMetricFamily("kgservice_store_graphs", "Named graphs in the store.", graphs)


class Metrics:
    """The service's metrics and their registry."""

    def __init__(
        self,
        quads: Callable[[], int],
        graphs: Callable[[], int],
        timeouts: Callable[[], int],
        answers: AnswerCache | None = None,
    ) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "kgservice_requests",
            "HTTP requests by endpoint, method and status.",
            ("endpoint", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "kgservice_request_seconds",
            "Time to the first byte of the response, by endpoint.",
            ("endpoint",),
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self._series: dict[tuple[str, str, int], tuple] = {}
        #: the worker's memory limit in bytes, when the memory guard keeps one
        self.memory_limit: int | None = None
        ProcessCollector(registry=self.registry)
        self.registry.register(_MemoryLimitCollector(self))
        self.registry.register(_StoreCollector(quads, graphs))
        self.registry.register(_TimeoutCollector(timeouts))
        if answers is not None:
            self.registry.register(_AnswerCacheCollector(answers))

    def observe(self, endpoint: str, method: str, status: int, seconds: float) -> None:
        """Count one request (the labelled series are looked up once, then kept)."""
        key = (endpoint, method, status)
        series = self._series.get(key)
        if series is None:
            series = (
                self.requests.labels(endpoint, method, str(status)).inc,
                self.latency.labels(endpoint).observe,
            )
            self._series[key] = series
        series[0]()
        series[1](seconds)

    def exposition(self) -> bytes:
        """The text of ``/metrics``."""
        return generate_latest(self.registry)


class _TimeoutCollector(Collector):
    def __init__(self, timeouts: Callable[[], int]) -> None:
        self._timeouts = timeouts

    def collect(self) -> Iterator[object]:
        from prometheus_client.core import CounterMetricFamily

        yield CounterMetricFamily(
            "kgservice_query_timeouts",
            "Queries and updates stopped by the time limit.",
            value=self._timeouts(),
        )


class _AnswerCacheCollector(Collector):
    def __init__(self, answers: AnswerCache) -> None:
        self._answers = answers

    def collect(self) -> Iterator[object]:
        from prometheus_client.core import CounterMetricFamily

        answers = self._answers
        yield CounterMetricFamily(
            "kgservice_answer_cache_hits", "Answers sent from the answer cache.", answers.hits
        )
        yield CounterMetricFamily(
            "kgservice_answer_cache_misses",
            "Answers looked for in the answer cache and not found.",
            answers.misses,
        )
        yield GaugeMetricFamily(
            "kgservice_answer_cache_bytes", "Bytes of the answers kept.", value=answers.size
        )


class _MemoryLimitCollector(Collector):
    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def collect(self) -> Iterator[object]:
        if self._metrics.memory_limit is not None:
            yield GaugeMetricFamily(
                "kgservice_worker_memory_limit_bytes",
                "Resident memory this worker may reach while answering queries "
                "(KGSERVICE_WORKER_MEMORY_MB).",
                value=self._metrics.memory_limit,
            )

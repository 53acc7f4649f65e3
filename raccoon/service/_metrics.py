"""Prometheus metrics of one service (``GET /metrics``).

Each :class:`Metrics` has its own ``CollectorRegistry`` — there is no
process-global registry, so two services (or two tests) never share
counters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

__all__ = ["Metrics"]


class _SessionCollector(Collector):
    def __init__(self, statistics: Callable[[], dict[str, int]]) -> None:
        self._statistics = statistics

    def collect(self) -> Iterator[GaugeMetricFamily]:
        stats = self._statistics()
        trees = GaugeMetricFamily(
            "raccoon_session_trees", "Browser session trees by state", labels=["state"]
        )
        for state in ("building", "attached", "detached", "closing"):
            trees.add_metric([state], stats.get(state, 0))
        yield trees
        yield GaugeMetricFamily(
            "raccoon_session_nodes", "Nodes bound in all session trees", value=stats.get("nodes", 0)
        )
        yield GaugeMetricFamily(
            "raccoon_wamp_browser_sessions",
            "Browser WAMP sessions attached to a tree",
            value=stats.get("wamp_sessions", 0),
        )


class Metrics:
    """The service's counters and histograms, and their text exposition."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.logins = Counter("raccoon_logins", "Login attempts by result", ["result"], registry=r)
        self.tokens = Counter(
            "raccoon_tokens_issued", "Join tokens issued, by occasion", ["occasion"], registry=r
        )
        self.authorizations = Counter(
            "raccoon_authorizations",
            "Dynamic authorizer decisions for browsers",
            ["action", "allowed"],
            registry=r,
        )
        self.http_requests = Counter(
            "raccoon_http_requests", "HTTP requests", ["route", "status"], registry=r
        )
        self.http_seconds = Histogram(
            "raccoon_http_request_seconds", "HTTP request duration", ["route"], registry=r
        )

    def watch_sessions(self, statistics: Callable[[], dict[str, int]]) -> None:
        """Expose the session registry's counts as gauges."""
        self.registry.register(_SessionCollector(statistics))

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric."""
        return generate_latest(self.registry)

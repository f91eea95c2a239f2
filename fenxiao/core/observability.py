"""Production observability: request metrics and logs, and the Prometheus endpoint.

- :class:`RequestMetricsMiddleware` times every request into a Prometheus histogram labelled by
  method, URL name and status class, and writes one structured log line per request
  (logger ``fenxiao.request``; JSON when ``LOG_FORMAT=json``).
- :func:`metrics_view` (``GET /metrics``) exposes those histograms plus business gauges read from
  the database at scrape time: orders and payments by status, and the background tasks' depth, age, running and failed per queue.
  With several gunicorn processes set ``PROMETHEUS_MULTIPROC_DIR`` (``deploy/gunicorn.conf.py``
  does) so every process's samples are summed.  The endpoint answers loopback clients, or anyone
  presenting ``Authorization: Bearer $METRICS_TOKEN``.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

REQUEST_LATENCY = Histogram(
    "fenxiao_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
request_log = logging.getLogger("fenxiao.request")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any ``extra`` fields."""

    RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({k: v for k, v in vars(record).items() if k not in self.RESERVED})
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = request.resolver_match
        route = match.view_name if match else "unmatched"
        REQUEST_LATENCY.labels(request.method, route, f"{response.status_code // 100}xx").observe(elapsed)
        user = getattr(request, "user", None)
        request_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "route": route,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 2),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response


class BusinessCollector(Collector):
    """Gauges read from the database when Prometheus scrapes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from fenxiao.core.relay import queue_stats
        from fenxiao.payments.models import Payment
        from fenxiao.trade.models import Order

        orders = GaugeMetricFamily("fenxiao_orders", "Orders by status.", labels=["status"])
        for row in Order.objects.values("status").annotate(n=Count("id")).order_by():
            orders.add_metric([row["status"]], row["n"])
        yield orders
        payments = GaugeMetricFamily("fenxiao_payments", "Payments by status.", labels=["status"])
        for row in Payment.objects.values("status").annotate(n=Count("id")).order_by():
            payments.add_metric([row["status"]], row["n"])
        yield payments
        stats = queue_stats()
        depth = GaugeMetricFamily(
            "fenxiao_task_queue_depth", "Background tasks due now, per queue.", labels=["queue"]
        )
        age = GaugeMetricFamily(
            "fenxiao_task_queue_age_seconds", "Age of the oldest task due, per queue.", labels=["queue"]
        )
        running = GaugeMetricFamily(
            "fenxiao_task_running", "Tasks handed to a worker, per queue.", labels=["queue"]
        )
        dead = GaugeMetricFamily(
            "fenxiao_task_failed", "Failed tasks awaiting a retry, per queue.", labels=["queue"]
        )
        for queue, stat in stats.items():
            depth.add_metric([queue], stat["depth"])
            age.add_metric([queue], stat["age"])
            running.add_metric([queue], stat["running"])
            dead.add_metric([queue], stat["dead"])
        yield from (depth, age, running, dead)


def _registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_ProcessLocal())
    registry.register(BusinessCollector())
    return registry


class _ProcessLocal(Collector):
    """This process's own samples (single-process servers and tests)."""

    def collect(self):
        yield from REGISTRY.collect()


def _allowed(request: HttpRequest) -> bool:
    token = getattr(settings, "METRICS_TOKEN", "")
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given, f"Bearer {token}"):
        return True
    return request.META.get("REMOTE_ADDR") in {"127.0.0.1", "::1"}


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse("metrics are for the monitoring system\n", status=403, content_type="text/plain")
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)

"""gunicorn settings for fenxiao in production (``make serve``; docs/deployment.md).

Environment: ``WEB_CONCURRENCY`` (processes, default 2 × cores + 1), ``WEB_THREADS`` (default 1),
``BIND`` (default 127.0.0.1:8000, put a reverse proxy that terminates TLS in front),
``PROMETHEUS_MULTIPROC_DIR`` (default: a fresh folder under /tmp) so ``GET /metrics`` sums every
process's samples.
"""

import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("WEB_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
keepalive = 30
timeout = 30
graceful_timeout = 30
max_requests = 5000
max_requests_jitter = 500
accesslog = None  # fenxiao logs each request itself (structured: LOG_FORMAT=json)
errorlog = "-"
wsgi_app = "fenxiao.wsgi:application"

if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="fenxiao-metrics-")
else:
    shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

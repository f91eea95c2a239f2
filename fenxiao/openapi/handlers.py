"""Imported by ``fenxiao.core`` at start-up: registers the webhook fan-out and send job."""

from . import webhooks  # noqa: F401

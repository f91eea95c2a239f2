"""Where the demo's printed links point: the host and port `make run` serves on."""

import os


def demo_base_url() -> str:
    """``http://$HOST:$PORT`` as the Makefile passes them (default ``http://127.0.0.1:8000``)."""
    return f"http://{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"

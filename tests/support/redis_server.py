"""A Redis URL for the tests: OMNISTOCK_REDIS_URL or the default; starts an embedded server if needed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_URL = "redis://127.0.0.1:6379/0"


@contextmanager
def redis_url() -> Iterator[str]:
    """Yields a URL that answers PING; raises RuntimeError (with the reason) when none can be had."""
    from omnistock.stack.embedded_redis import ensure_redis

    url = os.environ.get("OMNISTOCK_REDIS_URL", DEFAULT_URL)
    try:
        server = ensure_redis(url)
    except Exception as error:  # the reason is reported by the fixture (fail in CI, skip elsewhere)
        raise RuntimeError(f"no Redis at {url} and none could be started: {error}") from error
    try:
        yield url
    finally:
        if server is not None:
            server.stop()

"""HTTP caching of availability: a weak ETag over the figures (never the read time), 304, Cache-Control."""

from __future__ import annotations

from hashlib import blake2b
from typing import Any

import orjson
from starlette.responses import Response

from api.responses import JsonResponse


def figures_etag(figures: Any) -> str:
    """A weak ETag of the figures: the same figures give the same tag whatever `as_of` says.

    Weak, because two answers with the same tag differ in `as_of`: equivalent, not byte-identical.
    """
    return f'W/"{blake2b(orjson.dumps(figures), digest_size=12).hexdigest()}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match's weak comparison: any listed tag with the same opaque value, or `*`."""
    if not if_none_match:
        return False
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") in (opaque, "*") for tag in if_none_match.split(","))


class HttpCaching:
    """Answers a body with its ETag and Cache-Control, or 304 when the client already holds that ETag.

    `private`: access is per API key (X-API-Key), which a shared cache would not check, so only the
    client itself may keep the answer; `max_age_s` is short since the figures move with every sale.
    """

    def __init__(self, max_age_s: int) -> None:
        if max_age_s < 0:
            raise ValueError(f"max_age_s must not be negative, got {max_age_s}")
        self.cache_control = f"private, max-age={max_age_s}"

    def answer(self, body: Any, figures: Any, if_none_match: str | None) -> Response:
        etag = figures_etag(figures)
        headers = {"ETag": etag, "Cache-Control": self.cache_control}
        if etag_matches(if_none_match, etag):
            return Response(status_code=304, headers=headers)
        return JsonResponse(body, headers=headers)

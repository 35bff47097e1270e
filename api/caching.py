"""HTTP caching of availability: a weak ETag over the figures (never the read time), 304, Cache-Control."""

from __future__ import annotations

from typing import Any
from zlib import adler32, crc32

import orjson
from starlette.responses import Response


def figures_etag(rendered: bytes, as_of: str) -> str:
    """A weak ETag of a rendered answer without its read time: the same figures give the same tag.

    Weak, because two answers with the same tag differ in `as_of`: equivalent, not byte-identical.
    The answer is rendered once and its `as_of` values cut out, rather than rendering the figures a
    second time (for 500 skus that second rendering cost more than the read). CRC-32 catches any change
    of one figure for certain; with Adler-32 beside it, two answers that differ more share a tag about
    once in 2**64. Not a secret or a signature, so no cryptographic hash is needed.
    """
    figures = rendered.replace(orjson.dumps(as_of), b"")
    return f'W/"{crc32(figures):08x}{adler32(figures):08x}"'


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

    def answer(self, body: Any, as_of: str, if_none_match: str | None) -> Response:
        """`body` as JSON (orjson), tagged by everything in it but `as_of`."""
        rendered = orjson.dumps(body)
        etag = figures_etag(rendered, as_of)
        headers = {"ETag": etag, "Cache-Control": self.cache_control}
        if etag_matches(if_none_match, etag):
            return Response(status_code=304, headers=headers)
        return Response(rendered, media_type="application/json", headers=headers)

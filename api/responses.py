"""A JSON response rendered by orjson: the cheapest way to answer from plain dicts on the hot path."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class JsonResponse(JSONResponse):
    """Serializes with orjson; the payload is built from plain dicts and lists, not pydantic models."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)

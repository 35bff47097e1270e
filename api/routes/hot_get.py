"""GET /v1/availability/{sku} as a plain Starlette route: the storefront's hot read, same answer.

The FastAPI route solves its parameters and guards through dependency injection on every request,
which cost more CPU than reading and decoding the sku. This route reads the query and headers itself
and calls the guards' checks directly (AccessPolicy.admit). Mounted ahead of the FastAPI route, it
answers every GET; the FastAPI route stays for the OpenAPI document, and for apps built with extra
FastAPI guards (create_app's `guards`), which only dependency injection can run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import Scope

from api.routes.availability import SKU_PATH, OneSku


def hot_get_route(answer: OneSku, admit: Callable[[Request], None]) -> Route:
    """The route of SKU_PATH around `answer` (api.routes.availability.one_sku); `admit` raises the
    ApiError of a refused request (401/403/429) before anything is read."""

    async def get_availability(request: Request) -> Response:
        admit(request)
        location_ids = request.query_params.getlist("location_id") or None
        return await answer(request.path_params["sku"], location_ids, request.headers.get("if-none-match"))

    return _HotRoute(SKU_PATH, get_availability)


class _HotRoute(Route):
    """Behaves as FastAPI's route of the same path: GET only (HEAD answers 405, not a 200 without a
    body), and the route in the scope once matched (api.metrics labels requests by its path)."""

    def __init__(self, path: str, endpoint: Callable[[Request], Any]) -> None:
        super().__init__(path, endpoint, methods=["GET"], include_in_schema=False)
        self.methods = {"GET"}  # Starlette adds HEAD to a GET route; FastAPI's does not

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match != Match.NONE:
            child_scope["route"] = self
        return match, child_scope

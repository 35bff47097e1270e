"""The store associate's page: static HTML, CSS and JS served by the API, with no key needed to load them.

The page itself sends the store's key with every call to /v1/stores/... (the routes that guard it); the
HTML only carries the location id and the API's base path, HTML-escaped into data attributes, so no
value reaches the page as markup or script.
"""

from __future__ import annotations

import re
from functools import cache
from html import escape
from importlib.resources import files

from fastapi import APIRouter, Request
from starlette.responses import Response

from api.errors import ApiError

PAGES_PACKAGE = "api.pages"
ASSETS = {"store.js": "text/javascript; charset=utf-8", "store.css": "text/css; charset=utf-8"}
_PLACEHOLDER = re.compile(r"\{\{(location_id|api_base)\}\}")
# Everything from this origin, nothing inline and nothing from elsewhere: an injected value could not run.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


@cache
def _page_file(name: str) -> str:
    return files(PAGES_PACKAGE).joinpath(name).read_text(encoding="utf-8")


def render_store_page(location_id: str, api_base: str) -> str:
    """store.html with the location id ("" for the store picker) and the API base path in its data
    attributes, escaped in one pass: a value holding a placeholder is not expanded again."""
    values = {"location_id": escape(location_id, quote=True), "api_base": escape(api_base, quote=True)}
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], _page_file("store.html"))


def _page(request: Request, location_id: str) -> Response:
    api_base = request.scope.get("root_path", "").rstrip("/")
    body = render_store_page(location_id, api_base)
    return Response(body, media_type="text/html; charset=utf-8", headers=_HEADERS)


def store_page_router() -> APIRouter:
    """GET /store (pick a store), GET /store/{location_id} (its queue), GET /store/assets/{name}.

    Not in the OpenAPI document: pages for people, not an API for programs.
    """
    router = APIRouter(include_in_schema=False)

    @router.get("/store")
    async def store_picker(request: Request) -> Response:
        return _page(request, "")

    @router.get("/store/assets/{name}")
    async def store_asset(name: str) -> Response:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise ApiError(404, "not_found", f"No page asset is named {name!r}.")
        return Response(_page_file(name), media_type=media_type, headers=_HEADERS)

    @router.get("/store/{location_id}")
    async def store_queue(request: Request, location_id: str) -> Response:
        return _page(request, location_id)

    return router

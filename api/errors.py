"""Error bodies and handlers: every 4xx/5xx answers JSON `{"error", "message", ...}`."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from api.responses import JsonResponse
from core.errors import OmnistockError, StoreUnavailable

RETRY_AFTER_S = 1
# Codes of bare HTTPExceptions raised outside the routes (api.body_limit's 413 on a chunked body).
_CODES: dict[int, str] = {HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "body_too_large"}


class ApiError(OmnistockError):
    """An answer other than success, raised by a route: status, snake_case code, a sentence, fields."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None, **fields: object
    ) -> None:
        super().__init__(message, **fields)
        self.status = status
        self.code = code
        self.headers = headers


def error_response(
    status: int,
    code: str,
    message: str,
    fields: Mapping[str, object] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The one error shape: `{"error": code, "message": message, **fields}`. Every 503 says when to
    retry (Retry-After), so clients and proxies back off instead of hammering."""
    body = {"error": code, "message": message, **(fields or {})}
    if status == HTTPStatus.SERVICE_UNAVAILABLE and "retry-after" not in {h.lower() for h in headers or ()}:
        headers = {**(headers or {}), "Retry-After": str(RETRY_AFTER_S)}
    return JsonResponse(body, status_code=status, headers=headers)


def _status_code_name(status: int) -> str:
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "http_error"


async def _api_error(_: Request, exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)


async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
    # Routes answer their own 404s with ApiError (sku_not_found...): a bare one comes from the router.
    if exc.status_code == HTTPStatus.NOT_FOUND:
        message = f"No route matches {request.method} {request.url.path}."
        return error_response(404, "not_found", message, {"path": request.url.path})
    code = _CODES.get(exc.status_code) or _status_code_name(exc.status_code)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    return error_response(exc.status_code, code, detail, headers=exc.headers)


def _field_problem(err: Mapping[str, Any]) -> dict[str, Any]:
    name = ".".join(str(part) for part in err.get("loc", ()))
    return {"field": name, "message": err.get("msg", ""), "type": err.get("type")}


def json_position(document: object, position: int) -> tuple[int, int]:
    """Line and column (from 1) of character `position` of `document`, as editors count them."""
    text = document.decode(errors="replace") if isinstance(document, bytes) else str(document)
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


def _invalid_json(exc: RequestValidationError, err: Mapping[str, Any]) -> Response:
    # FastAPI reports the JSON decoder's character offset as a field (`body.11`): say where instead.
    loc = err.get("loc", ())
    position = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
    line, column = json_position(exc.body, position)
    reason = (err.get("ctx") or {}).get("error") or "not JSON"
    message = f"The request body is invalid JSON at line {line} column {column}: {reason}."
    problem = {"field": "body", "message": message, "type": "json_invalid", "line": line, "column": column}
    return error_response(422, "validation_error", message, {"fields": [problem]})


def _too_many_items(err: Mapping[str, Any]) -> Response:
    name = ".".join(str(part) for part in err.get("loc", ())[1:])
    ctx = err.get("ctx") or {}
    most, received = ctx.get("max_length"), ctx.get("actual_length")
    message = f"Too many items in {name}: at most {most}, received {received}."
    return error_response(413, "too_many_items", message, {"field": name, "max": most, "received": received})


async def _validation_error(_: Request, exc: RequestValidationError) -> Response:
    errors = exc.errors()
    if errors and errors[0].get("type") == "json_invalid":
        return _invalid_json(exc, errors[0])
    # Too many items in a body list is a size limit, answered 413 as the batch route's own cap is.
    too_long = [
        err for err in errors if err.get("type") == "too_long" and err.get("loc", ())[:1] == ("body",)
    ]
    if too_long:
        return _too_many_items(too_long[0])
    fields = [_field_problem(err) for err in errors]
    names = ", ".join(dict.fromkeys(f["field"] for f in fields))
    message = f"The request is not valid; check these fields: {names}."
    return error_response(422, "validation_error", message, {"fields": fields})


async def _store_unavailable(_: Request, exc: StoreUnavailable) -> Response:
    message = "The stock store is not answering; retry shortly."
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    return error_response(503, "store_unavailable", message, {"dependency": "stock_store"}, headers)


async def _unexpected(_: Request, exc: Exception) -> Response:
    return error_response(500, "internal_error", "The server failed to answer this request.")


def install_error_handlers(app: FastAPI) -> None:
    """Route every error through one JSON shape, FastAPI's and Starlette's own included."""
    # The decorator form accepts handlers typed with their own exception class.
    app.exception_handler(ApiError)(_api_error)
    app.exception_handler(StarletteHTTPException)(_http_error)
    app.exception_handler(RequestValidationError)(_validation_error)
    app.exception_handler(StoreUnavailable)(_store_unavailable)
    app.exception_handler(Exception)(_unexpected)

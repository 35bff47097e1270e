"""Route guards: an API key with the route's scope (401/403), then the client's rate limit (429).

A client (by address) that presented `failures` wrong keys within the last minute is answered 429
before its key is even looked at, a right one included: guessing keys gets N tries a minute, and a
429 tells nothing about the key it came with."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Annotated, Any, NoReturn

from fastapi import Request, Security
from fastapi.params import Depends
from fastapi.security import APIKeyHeader

from api.auth import API_KEY_HEADER, ApiKeyTable, key_digest
from api.errors import ApiError
from api.metrics import HttpMetrics
from api.rate_limit import RateLimiter, retry_after_s
from api.schemas import ErrorBody

KEY_HEADER = APIKeyHeader(
    name=API_KEY_HEADER,
    scheme_name="ApiKey",
    description="An API key of the deployment (OMNISTOCK_API_KEYS); each key has scopes.",
    auto_error=False,  # the guard answers 401 in the API's own error shape
)
_CHALLENGE = {"WWW-Authenticate": "ApiKey"}
UNKNOWN_CLIENT = "unknown"


class AccessPolicy:
    """Builds the guards of the routes: none when there are no keys and no rate limit (dev)."""

    def __init__(
        self,
        keys: ApiKeyTable | None,
        limiter: RateLimiter | None,
        metrics: HttpMetrics,
        failures: RateLimiter | None = None,
    ) -> None:
        self.keys = keys
        self.limiter = limiter
        self.metrics = metrics
        self.failures = failures  # a bucket of wrong keys per client address

    def guards(self, scope: str) -> list[Depends]:
        """The dependencies that admit a request to a route needing `scope`."""
        if self.keys is not None:
            return [Security(self._key_guard(self.keys, scope))]
        if self.limiter is not None:
            return [Security(self._throttle_by_address)]
        return []

    def responses(self) -> dict[int | str, dict[str, Any]]:
        """The refusals the guards can answer, for the OpenAPI document of guarded routes."""
        documented: dict[int | str, dict[str, Any]] = {}
        if self.keys is not None:
            documented[401] = {"model": ErrorBody, "description": "No API key, or an unknown one"}
            documented[403] = {"model": ErrorBody, "description": "The API key lacks the route's scope"}
        if self.limiter is not None or (self.keys is not None and self.failures is not None):
            documented[429] = {
                "model": ErrorBody,
                "description": "Over the rate limit, or too many wrong keys from this client (Retry-After)",
            }
        return documented

    def admit(self, request: Request, scope: str) -> None:
        """What the guards of `scope` check, called directly by a route served without FastAPI's
        dependency injection (the hot GET, see api.routes.hot_get); raises the same ApiError."""
        if self.keys is not None:
            self._check_key(self.keys, scope, request.headers.get(API_KEY_HEADER), _address(request))
        elif self.limiter is not None:
            self._throttle(_address(request))

    def _key_guard(self, keys: ApiKeyTable, scope: str) -> Any:
        async def require_key(
            request: Request, api_key: Annotated[str | None, Security(KEY_HEADER)] = None
        ) -> None:
            self._check_key(keys, scope, api_key, _address(request))

        return require_key

    def _check_key(self, keys: ApiKeyTable, scope: str, api_key: str | None, client: str) -> None:
        digest, scopes = self._known_key(keys, api_key, client)
        if scope not in scopes:
            message = f"This API key may not use this route: it needs scope {scope}."
            self._refuse(403, "forbidden", message, scope=scope)
        self._throttle(digest)

    def key_scopes(self, request: Request, api_key: str | None) -> frozenset[str] | None:
        """The scopes of the presented key, for a guard that decides by them (api.store_access): 401
        and 429 as every guarded route; None when the deployment has no keys (the client is then
        throttled by address). The caller answers 403 itself, then calls `throttle_key`."""
        if self.keys is None:
            if self.limiter is not None:
                self._throttle(_address(request))
            return None
        return self._known_key(self.keys, api_key, _address(request))[1]

    def throttle_key(self, api_key: str) -> None:
        """The rate limit of a key `key_scopes` admitted."""
        self._throttle(key_digest(api_key))

    def refuse(self, status: int, code: str, message: str, **fields: object) -> NoReturn:
        """Answer a refusal as the guards do (counted in the metrics)."""
        self._refuse(status, code, message, **fields)

    def _known_key(self, keys: ApiKeyTable, api_key: str | None, client: str) -> tuple[bytes, frozenset[str]]:
        if self.failures is not None:
            self._refuse_guesser(self.failures, client)
        if not api_key:
            self._refuse(401, "unauthorized", f"An API key is required in the {API_KEY_HEADER} header.")
        digest = key_digest(api_key)
        scopes = keys.scopes(digest)
        if scopes is None:
            if self.failures is not None:
                self.failures.take(client)
            self._refuse(401, "unauthorized", "The API key is not valid.")
        return digest, scopes

    async def _throttle_by_address(self, request: Request) -> None:
        self._throttle(_address(request))

    def _throttle(self, client: Hashable) -> None:
        if self.limiter is None:
            return
        wait_s = self.limiter.take(client)
        if wait_s > 0.0:
            seconds = retry_after_s(wait_s)
            message = f"Too many requests: over {self.limiter.rate_per_s:g}/s; retry in {seconds} s."
            self.metrics.reject("rate_limited")
            raise ApiError(429, "rate_limited", message, {"Retry-After": str(seconds)}, retry_after_s=seconds)

    def _refuse_guesser(self, failures: RateLimiter, client: str) -> None:
        wait_s = failures.wait_s(client)
        if wait_s > 0.0:
            seconds = retry_after_s(wait_s)
            message = f"Too many wrong API keys from this client; retry in {seconds} s."
            self.metrics.reject("auth_throttled")
            headers = {"Retry-After": str(seconds)}
            raise ApiError(429, "auth_throttled", message, headers, retry_after_s=seconds)

    def _refuse(self, status: int, code: str, message: str, **fields: object) -> NoReturn:
        self.metrics.reject(code)
        headers = _CHALLENGE if status == 401 else None
        raise ApiError(status, code, message, headers, **fields)


def _address(request: Request) -> str:
    # The peer's address, or what a trusted proxy says it is (OMNISTOCK_API_FORWARDED_ALLOW_IPS, applied
    # by uvicorn): behind an unconfigured proxy, every client shares one bucket.
    return request.client.host if request.client else UNKNOWN_CLIENT

"""Which stores a request may act for: the guard of the store routes (scopes `store:<location_id>`
and `store:*`), with the 401 and 429 of every guarded route and a 403 that names the key's stores."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Request, Security

from api.access import KEY_HEADER, AccessPolicy
from api.auth import EVERY_STORE, stores_of


@dataclass(frozen=True, slots=True)
class StoreReach:
    """The stores a request acts for; `stores` None: every store (a `store:*` key, or no keys configured)."""

    stores: frozenset[str] | None

    def covers(self, location_id: str) -> bool:
        return self.stores is None or location_id in self.stores

    def words(self) -> str:
        """ "This API key acts for store S-1 only." and the like, for a 403."""
        names = sorted(self.stores or ())
        if not names:
            return "This API key acts for no store: it needs scope store:<location_id> or store:*."
        if len(names) == 1:
            return f"This API key acts for store {names[0]} only."
        return f"This API key acts for stores {', '.join(names)} only."


EVERY = StoreReach(None)


class StoreGuard:
    """FastAPI dependencies over the deployment's AccessPolicy: `reach` for a route over every store
    the key acts for, `at_location` for a route of one store (its `location_id` path parameter)."""

    def __init__(self, access: AccessPolicy) -> None:
        self._access = access

    def reach(self) -> Any:
        if self._access.keys is None:
            return self._open

        async def store_reach(
            request: Request, api_key: Annotated[str | None, Security(KEY_HEADER)] = None
        ) -> StoreReach:
            return self._admitted(request, api_key, None)

        return store_reach

    def at_location(self) -> Any:
        if self._access.keys is None:
            return self._open

        async def store_at_location(
            request: Request, location_id: str, api_key: Annotated[str | None, Security(KEY_HEADER)] = None
        ) -> StoreReach:
            return self._admitted(request, api_key, location_id)

        return store_at_location

    async def _open(self, request: Request) -> StoreReach:
        # No keys (dev): every store, throttled by address when a rate limit is set; no key header
        # in the OpenAPI document.
        self._access.key_scopes(request, None)
        return EVERY

    def _admitted(self, request: Request, api_key: str | None, location_id: str | None) -> StoreReach:
        scopes = self._access.key_scopes(request, api_key)
        if scopes is None or api_key is None:
            return EVERY
        stores = stores_of(scopes)
        reach = EVERY if EVERY_STORE in stores else StoreReach(stores)
        if not stores or (location_id is not None and not reach.covers(location_id)):
            self._access.refuse(403, "forbidden", reach.words(), stores=sorted(stores))
        self._access.throttle_key(api_key)
        return reach

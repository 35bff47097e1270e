"""`omnistock store-key`: a new API key for one store's associates (or every store's), and the entry
an operator adds to OMNISTOCK_API_KEYS.

The key is drawn here (secrets.token_urlsafe) and stored nowhere: the operator puts the entry in the
API's settings and hands the key to the store, whose page keeps it. A location that the configured
network file does not know, or that is not a store, is refused before any key is drawn: a key scoped
to a typo would be refused by every store route without saying why.
"""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass

import orjson

from core.errors import OmnistockError
from core.network import LocationKind, Network
from omnistock.network_file import load_network
from omnistock.settings import Settings

KEY_BYTES = 32  # 256 bits of randomness, 43 URL-safe characters
STORE_KINDS = frozenset({LocationKind.STORE, LocationKind.DARK_STORE})  # those the store routes serve
ALL_STORES_SCOPE = "store:*"


class NotAStore(OmnistockError):
    """The location given cannot have a store key: unknown to the network, or not a store."""


def store_scope(location_id: str | None) -> str:
    """`store:<location_id>`, or `store:*` (every store) for None."""
    return ALL_STORES_SCOPE if location_id is None else f"store:{location_id}"


def check_store(network: Network, location_id: str) -> None:
    """NotAStore unless `location_id` is a STORE or DARK_STORE of `network`."""
    location = network.locations.get(location_id)
    stores = sorted(loc.location_id for loc in network.locations.values() if loc.kind in STORE_KINDS)
    if location is None:
        shown = ", ".join(stores[:8]) + (", ..." if len(stores) > 8 else "")
        raise NotAStore(f"{location_id} is not in the network file; its stores include {shown or 'none'}")
    if location.kind not in STORE_KINDS:
        raise NotAStore(f"{location_id} is a {location.kind.value.lower()}, not a store: no store key for it")


@dataclass(frozen=True, slots=True)
class StoreKey:
    key: str
    scope: str

    def entry(self) -> str:
        """The JSON object to merge into OMNISTOCK_API_KEYS: {"<key>": ["store:<loc>"]}."""
        return orjson.dumps({self.key: [self.scope]}).decode()


def new_store_key(location_id: str | None) -> StoreKey:
    return StoreKey(secrets.token_urlsafe(KEY_BYTES), store_scope(location_id))


def run_store_key(settings: Settings, location_id: str | None, all_stores: bool) -> int:
    if all_stores == (location_id is not None):
        print("omnistock store-key: give a location id, or --all-stores, not both", file=sys.stderr)
        return 2
    checked = "not checked against a network: OMNISTOCK_NETWORK_FILE is not set"
    if location_id is not None and settings.network_file:
        try:
            check_store(load_network(settings.network_file), location_id)
        except OmnistockError as error:  # NotAStore, or a network file that cannot be read
            print(f"omnistock store-key: {error.message}", file=sys.stderr)
            return 2
        checked = f"a store of {settings.network_file}"
    made = new_store_key(location_id)
    who = "every store" if location_id is None else f"store {location_id} ({checked})"
    print(f"new key for {who}:")
    print(made.key)
    print("add this entry to the API's OMNISTOCK_API_KEYS (a JSON object of key -> scopes), then restart it:")
    print(made.entry())
    page = "/store" if location_id is None else f"/store/{location_id}"
    print(f"the associate opens {page}#key=<the key> once on the API's address: the page keeps the key")
    return 0

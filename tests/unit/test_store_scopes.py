"""Store scopes in OMNISTOCK_API_KEYS: `store:<location_id>` and `store:*` are known scopes, a bare
`store:` is not; a key's scopes say which stores it acts for."""

from __future__ import annotations

import pytest

from api.auth import EVERY_STORE, ApiKeysInvalid, parse_api_keys, store_of_scope, stores_of
from api.store_access import StoreReach


def test_store_scopes_are_accepted_beside_the_others() -> None:
    keys = parse_api_keys('{"k1": ["store:S-1", "orders:read"], "k2": ["store:*"]}')

    assert keys == {"k1": frozenset({"store:S-1", "orders:read"}), "k2": frozenset({"store:*"})}


@pytest.mark.parametrize("scope", ["store:", "store: ", "stores:S-1"])
def test_a_store_scope_naming_no_store_is_refused(scope: str) -> None:
    with pytest.raises(ApiKeysInvalid) as raised:
        parse_api_keys(f'{{"k1": ["{scope}"]}}')

    assert raised.value.fields["problem"] == "unknown_scope"
    assert "store:<location_id>, store:*" in raised.value.message


def test_a_scope_names_its_store_or_every_store() -> None:
    assert store_of_scope("store:S-1") == "S-1"
    assert store_of_scope("store:*") == EVERY_STORE
    assert store_of_scope("orders:read") is None
    assert stores_of({"store:S-1", "store:S-2", "ops"}) == frozenset({"S-1", "S-2"})


def test_a_keys_reach_covers_its_stores_and_says_so_in_words() -> None:
    one, two = StoreReach(frozenset({"S-1"})), StoreReach(frozenset({"S-2", "S-1"}))

    assert one.covers("S-1")
    assert not one.covers("S-2")
    assert StoreReach(None).covers("anything")
    assert one.words() == "This API key acts for store S-1 only."
    assert two.words() == "This API key acts for stores S-1, S-2 only."

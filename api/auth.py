"""API keys and their scopes: parsing the configured JSON, finding a presented key without timing leaks."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from hashlib import sha256

from core.errors import OmnistockError

API_KEY_HEADER = "X-API-Key"
SCOPE_AVAILABILITY_READ = "availability:read"
SCOPE_ORDERS_READ = "orders:read"
SCOPE_OPS = "ops"
KNOWN_SCOPES = frozenset({SCOPE_AVAILABILITY_READ, SCOPE_ORDERS_READ, SCOPE_OPS})
STORE_SCOPE_PREFIX = "store:"  # store:<location_id> acts for that store, store:* for every store
EVERY_STORE = "*"


class ApiKeysInvalid(OmnistockError, ValueError):
    """The configured API keys are not a JSON object of key -> list of known scopes."""


def _scopes_of(scopes: object) -> frozenset[str]:
    if not isinstance(scopes, list) or not all(isinstance(scope, str) for scope in scopes):
        # The key itself is a secret: name it by position in the message, never by value.
        raise ApiKeysInvalid("Each API key must map to a list of scope strings.", problem="scopes_not_a_list")
    unknown = sorted(scope for scope in set(scopes) - KNOWN_SCOPES if store_of_scope(scope) is None)
    if unknown:
        known = ", ".join([*sorted(KNOWN_SCOPES), "store:<location_id>", "store:*"])
        message = f"Unknown API key scope(s) {', '.join(unknown)}; known scopes: {known}."
        raise ApiKeysInvalid(message, problem="unknown_scope", scopes=unknown)
    return frozenset(scopes)


def store_of_scope(scope: str) -> str | None:
    """The location a `store:<location_id>` scope acts for ("*" for every store); None for any other
    scope, `store:` with nothing after it included."""
    if not scope.startswith(STORE_SCOPE_PREFIX):
        return None
    location_id = scope.removeprefix(STORE_SCOPE_PREFIX)
    return location_id if location_id.strip() else None


def stores_of(scopes: Collection[str]) -> frozenset[str]:
    """The locations a key's scopes act for; EVERY_STORE among them for a `store:*` key."""
    return frozenset(store for scope in scopes if (store := store_of_scope(scope)) is not None)


def parse_api_keys(json_text: str) -> dict[str, frozenset[str]]:
    """`{"key": ["availability:read", ...], ...}` -> key -> scopes; ApiKeysInvalid says what is wrong.

    Error messages never quote a key: they end up in logs.
    """
    try:
        loaded = json.loads(json_text)
    except json.JSONDecodeError as exc:
        message = f"API keys are not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}."
        raise ApiKeysInvalid(message, problem="not_json") from None
    if not isinstance(loaded, dict):
        message = f'API keys must be a JSON object {{"key": ["scope", ...]}}, not a {type(loaded).__name__}.'
        raise ApiKeysInvalid(message, problem="not_an_object")
    if not loaded:
        message = "API keys are an empty object: configure at least one key, or leave the setting unset."
        raise ApiKeysInvalid(message, problem="empty")
    if any(not key.strip() for key in loaded):
        raise ApiKeysInvalid("An API key is an empty or blank string.", problem="blank_key")
    return {key: _scopes_of(scopes) for key, scopes in loaded.items()}


def key_digest(key: str) -> bytes:
    """The SHA-256 of a key: what the table is indexed by, and a client's identity for rate limiting."""
    return sha256(key.encode()).digest()


class ApiKeyTable:
    """The configured keys, indexed by their SHA-256 digest rather than by their value.

    Looking up the digest of the presented key compares digests, not keys: how long that comparison
    takes tells an attacker how many leading bytes of a SHA-256 digest match, which says nothing about
    the key (finding a key from a digest prefix is a preimage search). So the check is constant-time
    with respect to the secret, and O(1) in the number of keys, unlike a loop of hmac.compare_digest.
    """

    def __init__(self, keys: Mapping[str, Collection[str]]) -> None:
        self._scopes = {key_digest(key): frozenset(scopes) for key, scopes in keys.items()}

    def __len__(self) -> int:
        return len(self._scopes)

    def scopes(self, digest: bytes) -> frozenset[str] | None:
        """The scopes of the key with this digest; None for a key not configured."""
        return self._scopes.get(digest)

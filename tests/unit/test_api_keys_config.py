"""parse_api_keys: the OMNISTOCK_API_KEYS JSON into key -> scopes, with a clear error for each bad shape."""

from __future__ import annotations

import pytest

from api.auth import ApiKeysInvalid, ApiKeyTable, key_digest, parse_api_keys


def test_a_json_object_of_keys_to_scope_lists_is_parsed_into_frozensets() -> None:
    keys = parse_api_keys('{"k1": ["availability:read", "ops"], "k2": ["availability:read"], "k3": []}')

    assert keys == {
        "k1": frozenset({"availability:read", "ops"}),
        "k2": frozenset({"availability:read"}),
        "k3": frozenset(),
    }


@pytest.mark.parametrize(
    ("text", "problem", "words"),
    [
        ('{"k1": ["ops"]', "not_json", "not valid JSON (line 1"),
        ("", "not_json", "not valid JSON"),
        ('["k1"]', "not_an_object", "not a list"),
        ("{}", "empty", "leave the setting unset"),
        ('{"  ": ["ops"]}', "blank_key", "blank"),
        ('{"k1": "ops"}', "scopes_not_a_list", "list of scope strings"),
        ('{"k1": [1]}', "scopes_not_a_list", "list of scope strings"),
        (
            '{"k1": ["availabilty:read"]}',
            "unknown_scope",
            "availabilty:read; known scopes: availability:read",
        ),
    ],
)
def test_a_bad_setting_raises_naming_the_problem(text: str, problem: str, words: str) -> None:
    with pytest.raises(ApiKeysInvalid) as raised:
        parse_api_keys(text)

    assert raised.value.fields["problem"] == problem
    assert words in raised.value.message


def test_an_error_never_quotes_a_key() -> None:
    with pytest.raises(ApiKeysInvalid) as raised:
        parse_api_keys('{"super-secret-key": "ops"}')

    assert "super-secret-key" not in str(raised.value)
    assert "super-secret-key" not in repr(raised.value.fields)


def test_the_parse_error_is_a_value_error_for_callers_that_catch_those() -> None:
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_api_keys("nope")


def test_the_key_table_finds_scopes_by_digest_and_not_an_unknown_key() -> None:
    table = ApiKeyTable({"k1": ["ops"]})

    assert table.scopes(key_digest("k1")) == frozenset({"ops"})
    assert table.scopes(key_digest("k2")) is None
    assert len(table) == 1

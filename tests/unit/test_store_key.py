"""`omnistock store-key` gives an operator a new random key for one store (or every store) and the
OMNISTOCK_API_KEYS entry to add; a location the network file does not know as a store gets no key."""

from __future__ import annotations

import orjson
import pytest

from core.network import LocationKind
from omnistock.cli import main
from omnistock.network_file import default_network_path, load_network


def _store_key(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], network: bool = True
) -> tuple[int, list[str], str]:
    if network:
        monkeypatch.setenv("OMNISTOCK_NETWORK_FILE", str(default_network_path()))
    else:
        monkeypatch.delenv("OMNISTOCK_NETWORK_FILE", raising=False)
    code = main(["store-key", *argv])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def test_a_store_gets_a_fresh_random_key_and_the_entry_scoped_to_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _store_key(["ST-PARIS-RIVOLI"], monkeypatch, capsys)

    assert (code, err) == (0, "")
    key = out[1]
    assert len(key) >= 43
    assert orjson.loads(out[3]) == {key: ["store:ST-PARIS-RIVOLI"]}
    assert "a store of" in out[0]
    assert "/store/ST-PARIS-RIVOLI#key=" in out[4]
    assert _store_key(["ST-PARIS-RIVOLI"], monkeypatch, capsys)[1][1] != key  # never the same twice


def test_all_stores_gives_a_regional_managers_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _store_key(["--all-stores"], monkeypatch, capsys)

    assert code == 0
    assert orjson.loads(out[3]) == {out[1]: ["store:*"]}


def test_a_dark_store_may_have_a_key_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    dark = next(
        loc.location_id
        for loc in load_network(default_network_path()).locations.values()
        if loc.kind is LocationKind.DARK_STORE
    )
    assert _store_key([dark], monkeypatch, capsys)[0] == 0


@pytest.mark.parametrize(
    ("location", "said"),
    [
        ("ST-NOWHERE", "ST-NOWHERE is not in the network file; its stores include "),
        ("WH-PARIS-BUSSY", "WH-PARIS-BUSSY is a warehouse, not a store: no store key for it"),
    ],
)
def test_a_location_that_is_not_a_store_of_the_network_gets_no_key(
    location: str, said: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _store_key([location], monkeypatch, capsys)

    assert (code, out) == (2, [])
    assert err.startswith(f"omnistock store-key: {said}")


def test_without_a_network_file_the_location_is_taken_as_given_and_said_unchecked(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _store_key(["S-1"], monkeypatch, capsys, network=False)

    assert code == 0
    assert "not checked against a network" in out[0]
    assert orjson.loads(out[3]) == {out[1]: ["store:S-1"]}


@pytest.mark.parametrize("argv", [[], ["ST-PARIS-RIVOLI", "--all-stores"]])
def test_a_location_or_all_stores_exactly_one_of_them(
    argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _store_key(argv, monkeypatch, capsys)

    assert (code, out) == (2, [])
    assert "give a location id, or --all-stores, not both" in err

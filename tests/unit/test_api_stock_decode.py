"""The API's one-pass decoder of a stock hash agrees with the core rules it folds in (network_stock)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.ledger import network_stock
from core.network import Capability, Location, LocationKind, Network
from core.stock import LocationStock
from state.decode import atp_figures, sku_stock


def _location(location_id: str, ships: bool, safety_stock: int, protection: int) -> Location:
    capabilities = frozenset({Capability.SHIP} if ships else {Capability.PICKUP})
    kind = LocationKind.WAREHOUSE if ships else LocationKind.STORE
    return Location(
        location_id,
        kind,
        location_id,
        0.0,
        0.0,
        "UTC",
        capabilities,
        safety_stock,
        online_protection=protection,
    )


NETWORK = Network(
    {
        "dc-1": _location("dc-1", True, 2, 0),
        "store-é": _location("store-é", True, 1, 3),
        "store-2": _location("store-2", False, 4, 1),
    }
)
Fields = dict[bytes | str, bytes | str]
LOCATIONS = ("dc-1", "store-é", "store-2", "unknown-9")


def packed(oh: int = 0, it: int = 0, rs: int = 0, al: int = 0, ss: int | None = None, atp: int = 0) -> bytes:
    """One location's field as the scripts write it: "oh,it,rs,al,ss,atp,on,ds,pp" (ss empty: none);
    on, ds and pp are what the last write used, which the reader does not read (it has the network)."""
    return f"{oh},{it},{rs},{al},{'' if ss is None else ss},{atp},1,7,7".encode()


def test_a_hash_decodes_to_its_locations_sorted_with_defaults_and_network_sums() -> None:
    fields: Fields = {
        b"dc-1": packed(oh=10, rs=2, atp=6),
        "store-é".encode(): packed(oh=9, ss=0),
        b"store-2": packed(oh=5),
        b"store-2|ct": b"1796164200000",
        b"|oh": b"24",
        b"|nrs": b"1",
        b"|seq": b"7",
    }

    stock = sku_stock("SKU-1", fields, NETWORK)

    assert stock.locations == (
        LocationStock("dc-1", on_hand=10, reserved=2, safety_stock=2),
        LocationStock("store-2", on_hand=5, safety_stock=4, online_protection=1),
        LocationStock("store-é", on_hand=9, safety_stock=0, online_protection=3),
    )
    # Online: dc-1 (ATP 6) and store-é (ATP 9, 6 online); one unit held on the network.
    assert (stock.network.on_hand, stock.network.reserved, stock.network.atp) == (19, 3, 11)


def test_str_field_names_and_values_decode_as_bytes_ones_do() -> None:
    as_bytes = {b"dc-1": packed(oh=10, al=3, ss=1), b"|nrs": b"2"}
    fields: Fields = dict(as_bytes.items())
    as_text: Fields = {name.decode(): value.decode() for name, value in as_bytes.items()}

    assert sku_stock("S", as_text, NETWORK) == sku_stock("S", fields, NETWORK)


def test_a_hash_of_network_fields_only_has_no_locations() -> None:
    assert sku_stock("S", {b"|bo": b"1", b"|seq": b"3", b"dc-1|ct": b"5"}, NETWORK).locations == ()


FIGURES = st.fixed_dictionaries(
    {"oh": st.integers(-5, 50), "it": st.integers(0, 50), "rs": st.integers(0, 50), "al": st.integers(0, 50)},
    optional={"ss": st.integers(0, 20)},
)


@given(st.dictionaries(st.sampled_from(LOCATIONS), FIGURES, max_size=4), st.integers(0, 20))
def test_the_network_figures_are_core_network_stock_over_the_decoded_locations(
    figures: dict[str, dict[str, int]], network_reserved: int
) -> None:
    fields: Fields = {loc.encode(): packed(**f) for loc, f in figures.items()}
    fields[b"|nrs"] = str(network_reserved).encode()

    stock = sku_stock("S", fields, NETWORK)

    assert stock.network == network_stock(stock.locations, NETWORK, network_reserved)
    assert [loc.location_id for loc in stock.locations] == sorted(figures)
    for loc in stock.locations:
        override = figures[loc.location_id].get("ss")
        assert loc.safety_stock == (
            override if override is not None else NETWORK.safety_stock(loc.location_id)
        )
        assert (loc.on_hand, loc.in_transit, loc.reserved, loc.allocated) == tuple(
            figures[loc.location_id][name] for name in ("oh", "it", "rs", "al")
        )
        assert loc.online_protection == NETWORK.online_protection(loc.location_id)


def written(oh: int, rs: int, al: int, ss: int | None, default_then: int) -> bytes:
    """A location's field as touch() in common.lua writes it: ATP with the override, else with the
    default safety stock passed at that write, which is stored as `ds`."""
    atp = max(0, oh - rs - al - (default_then if ss is None else ss))
    return f"{oh},0,{rs},{al},{'' if ss is None else ss},{atp},1,{default_then},0".encode()


@given(
    st.dictionaries(
        st.sampled_from(LOCATIONS),
        st.tuples(
            st.integers(-5, 50),
            st.integers(0, 50),
            st.integers(0, 50),
            st.none() | st.integers(0, 20),
            st.integers(0, 6),
        ),  # fmt: skip
        max_size=4,
    )
)
def test_the_routers_atps_are_the_decoded_ones_whether_the_default_changed_since_the_write_or_not(
    written_with: dict[str, tuple[int, int, int, int | None, int]],
) -> None:
    # store-é's default is 1 today: written with 1 its stored ATP holds; with anything else, recomputed
    fields: Fields = {loc.encode(): written(*figures) for loc, figures in written_with.items()}
    online: dict[tuple[str, str], int] = {}
    walk_in: dict[tuple[str, str], int] = {}

    atp_figures("SKU-1", fields, NETWORK, (online, walk_in))

    decoded = {loc.location_id: loc for loc in sku_stock("SKU-1", fields, NETWORK).locations}
    assert walk_in == {("SKU-1", loc): decoded[loc].atp for loc in written_with}
    assert online == {("SKU-1", loc): decoded[loc].online_atp for loc in written_with}


def test_str_fields_give_the_router_the_same_atps() -> None:
    as_bytes: Fields = {b"dc-1": written(10, 2, 1, None, 0), b"|nrs": b"1", b"|atp": b"6"}
    as_str: Fields = {"dc-1": written(10, 2, 1, None, 0).decode(), "|nrs": "1", "|atp": "6"}
    maps: list[tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]] = [({}, {}), ({}, {})]
    atp_figures("SKU-1", as_bytes, NETWORK, maps[0])
    atp_figures("SKU-1", as_str, NETWORK, maps[1])
    assert maps[0] == maps[1] == ({("SKU-1", "dc-1"): 5}, {("SKU-1", "dc-1"): 5})

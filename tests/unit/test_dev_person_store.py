"""`omnistock dev` leaves one store to a person: which one (deterministic, or asked), its deadline in
real minutes while the others follow the simulated clock, and what the screen tells about it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from core.network import Capability, LocationKind, Network
from omnistock.dev.stack import dev_network_file, run_dev
from omnistock.dev.store_page import (
    PERSON_SLA_MINUTES,
    SIM_SEED,
    share_words,
    store_page_note,
    store_page_reminder,
)
from omnistock.network_file import default_network_path, load_network
from omnistock.settings import Settings
from omnistock.sim.person_store import (
    NotAPersonStore,
    choose_person_store,
    person_store_candidates,
    store_page_url,
)
from omnistock.sim.simulation import Simulation, store_sizes


@pytest.fixture(scope="module")
def network() -> Network:
    return load_network(default_network_path())


def test_the_person_store_ships_and_serves_click_and_collect_and_is_the_biggest_such(
    network: Network,
) -> None:
    sizes = store_sizes(network, random.Random(SIM_SEED))
    chosen = choose_person_store(network, sizes)

    assert chosen is not None
    location = network.locations[chosen]
    assert location.kind is LocationKind.STORE
    assert {Capability.SHIP, Capability.PICKUP} <= location.capabilities
    assert sizes[chosen] == max(sizes[candidate] for candidate in person_store_candidates(network))
    assert choose_person_store(network, store_sizes(network, random.Random(SIM_SEED))) == chosen


def test_the_sizes_are_the_simulations_own(network: Network) -> None:
    simulation = Simulation(network, sku_count=50, seed=SIM_SEED, postcodes={})

    assert store_sizes(network, random.Random(SIM_SEED)) == simulation.size


def test_equal_sizes_fall_back_to_the_first_candidate_of_the_file(network: Network) -> None:
    assert choose_person_store(network, {}) == person_store_candidates(network)[0]


def test_a_store_asked_for_is_taken_when_it_ships_and_serves_click_and_collect(network: Network) -> None:
    assert choose_person_store(network, {}, asked="ST-PARIS-RIVOLI") == "ST-PARIS-RIVOLI"


@pytest.mark.parametrize(
    ("asked", "why"),
    [
        ("ST-NOWHERE", "no such location in the network"),
        ("ST-PARIS-BASTILLE", "not a store that both ships and serves click & collect"),
        ("WH-PARIS-BUSSY", "not a store that both ships and serves click & collect"),
    ],
)
def test_a_store_asked_for_that_cannot_be_the_persons_is_refused_with_the_candidates(
    network: Network, asked: str, why: str
) -> None:
    with pytest.raises(NotAPersonStore) as refused:
        choose_person_store(network, {}, asked=asked)

    assert refused.value.message.startswith(f"--person-store {asked}: {why}; candidates: ST-PARIS-RIVOLI")


def test_the_person_store_keeps_real_minutes_to_accept_while_the_others_follow_the_simulated_clock(
    tmp_path: Path, network: Network
) -> None:
    path = dev_network_file(
        default_network_path(), 60.0, 60.0, tmp_path / "network.json", person_store="ST-PARIS-OPERA"
    )
    dev = load_network(path)

    assert dev.locations["ST-PARIS-OPERA"].accept_sla_minutes == PERSON_SLA_MINUTES == 15.0
    rivoli = network.locations["ST-PARIS-RIVOLI"].accept_sla_minutes
    assert rivoli is not None
    assert dev.locations["ST-PARIS-RIVOLI"].accept_sla_minutes == rivoli / 60


@pytest.mark.parametrize("location_id", ["ST-NICE", "ST-MARSEILLE-VIEUX-PORT"])
def test_the_screen_gives_the_page_the_share_left_and_the_deadline(location_id: str) -> None:
    url = store_page_url("http://127.0.0.1:8000/", location_id)
    note = store_page_note(url, location_id, 2, 15.0)

    assert url == f"http://127.0.0.1:8000/store/{location_id}"
    assert note.splitlines()[0] == f"store page for you: {url} (the dev API needs no key)"
    assert f"every other shipment routed to {location_id} waits for you" in note
    assert "15 real minutes to accept one" in note
    assert "…" not in note  # nothing cut, for a short store id or the longest of the packaged network


@pytest.mark.parametrize(
    ("every", "words"),
    [
        (1, "every shipment"),
        (2, "every other shipment"),
        (3, "every 3rd shipment"),
        (11, "every 11th shipment"),
        (22, "every 22nd shipment"),
    ],
)
def test_the_share_left_to_the_person_reads_as_english(every: int, words: str) -> None:
    assert share_words(every) == words


def test_dev_refuses_a_person_store_that_cannot_be_one_in_one_line_before_starting_anything(
    capsys: pytest.CaptureFixture[str],
) -> None:
    settings = Settings(network_file=str(default_network_path()))
    code = run_dev(settings, rate=1, duration=1, api_port=None, sim_hour_s=60, person_store="WH-PARIS-BUSSY")

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    said = "omnistock dev: --person-store WH-PARIS-BUSSY: not a store that both ships"
    assert captured.err.startswith(said)
    assert len(captured.err.splitlines()) == 1


def test_each_refresh_reminds_the_page_and_how_many_shipments_were_left_to_the_person() -> None:
    url = "http://127.0.0.1:8000/store/ST-PARIS-OPERA"

    assert store_page_reminder(url, 1) == f"    store page {url}: 1 shipment left to you so far"
    assert store_page_reminder(url, 12).endswith(": 12 shipments left to you so far")

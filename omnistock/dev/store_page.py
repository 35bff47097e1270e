"""The store `omnistock dev` leaves to a person, and what it tells them: the page, the share, the deadline."""

from __future__ import annotations

import random

from omnistock.dev.layout import INDENT, cut, fit
from omnistock.network_file import default_network_path, load_network
from omnistock.settings import Settings
from omnistock.sim.person_store import choose_person_store
from omnistock.sim.simulation import store_sizes

STORE_PAGE_VARIABLE = "OMNISTOCK_STORE_PAGE"  # in .omnistock/dev/env: the page's URL, for a script
PERSON_SLA_MINUTES = 15.0  # real minutes the person's store has to accept a shipment
PERSON_EVERY = 2  # the simulator leaves every other shipment of the person's store to the person
SIM_SEED = 7  # the simulation's and the nodes' seed (omnistock.dev.feeds): the same stores every run


def person_store_of(settings: Settings, asked: str | None) -> str | None:
    """The store left to a person (omnistock.sim.person_store), told before anything starts;
    NotAPersonStore for an `asked` store that cannot be one."""
    network = load_network(settings.network_file or default_network_path())
    sizes = store_sizes(network, random.Random(SIM_SEED))  # noqa: S311 - the simulation's own draws
    return choose_person_store(network, sizes, asked)


def share_words(every: int) -> str:
    """"every other shipment", "every 3rd shipment", "every shipment"."""
    if every <= 1:
        return "every shipment"
    if every == 2:
        return "every other shipment"
    suffix = "th" if 10 <= every % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(every % 10, "th")
    return f"every {every}{suffix} shipment"


def store_page_note(url: str, location_id: str, every: int, sla_minutes: float) -> str:
    """The lines printed once the API answers: where the page is, and what waits there for whom."""
    return fit(
        (
            f"store page for you: {url} (the dev API needs no key)",
            f"{share_words(every)} routed to {location_id} waits for you there",
            f"the simulator answers the rest; {sla_minutes:g} real minutes to accept one,"
            " then it is re-routed",
            "(the other stores' deadlines follow the simulated clock)",
        )
    )


def store_page_reminder(url: str, left: int) -> str:
    """The line under each refresh: the page scrolls away with the figures, the reminder does not."""
    return cut(f"{INDENT}store page {url}: {left} shipment{'s' if left != 1 else ''} left to you so far")

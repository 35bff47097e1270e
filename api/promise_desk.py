"""What POST /v1/promises needs besides HTTP: the prepared network, the destination, the live ATP.

The network is prepared once per network version (the file is reloaded without restart, so the
version is looked at on every call) and the ATP of the cart's skus is read in one pipelined round trip.
The ATP a promise uses is what online channels may take at each location (core.promise_atp: holds,
allocations, safety stock and the units kept for walk-in customers are out, and no online location
offers more than the network's ATP, network-level holds out), the router's and the scripts' rule.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime

from core.carriers import ServiceKind
from core.geo import Place, place_of_point, place_of_postcode
from core.network import Network
from core.ports import StockReader
from core.promise import promise
from core.promise_atp import channel_atp
from core.promise_nodes import PromiseNetwork, prepare
from core.promise_types import CLICK_AND_COLLECT, CartLine, PromiseResult


class UnknownPostcode(ValueError):
    """The postcode is not in the lookup table."""


class PromiseDesk:
    def __init__(
        self,
        network: Callable[[], Network],
        postcodes: Mapping[str, Place],
        reader: StockReader,
    ) -> None:
        self._network, self._postcodes, self._reader = network, postcodes, reader
        self._prepared: PromiseNetwork | None = None

    def prepared(self) -> PromiseNetwork | None:
        """The current network, prepared; None when it describes no carrier services."""
        network = self._network()
        if network.services is None:
            return None
        cached = self._prepared
        if cached is None or cached.network is not network:
            cached = self._prepared = prepare(network, network.services)
        return cached

    def methods(self) -> tuple[str, ...]:
        """The method names a request may ask for: home and relay services, and click & collect."""
        prepared = self.prepared()
        if prepared is None:
            return ()
        kinds = (ServiceKind.HOME, ServiceKind.RELAY)
        names = [s.service_id for s in prepared.services.services.values() if s.kind in kinds]
        return (*names, CLICK_AND_COLLECT) if prepared.services.click_and_collect else tuple(names)

    def destination(
        self, postcode: str | None, lat: float | None, lon: float | None, timezone: str | None
    ) -> Place:
        """Coordinates win over a postcode; a postcode not in the table raises UnknownPostcode."""
        if lat is not None and lon is not None:
            return place_of_point(lat, lon, self._postcodes, timezone)
        place = place_of_postcode(postcode or "", self._postcodes)
        if place is None:
            raise UnknownPostcode(postcode)
        return place if timezone is None else Place(place.lat, place.lon, timezone)

    async def promise(
        self,
        prepared: PromiseNetwork,
        lines: Sequence[CartLine],
        to: Place,
        now: datetime,
        methods: Collection[str] | None,
        explain: bool,
    ) -> PromiseResult:
        stocks = await self._reader.read_many(sorted({line.sku for line in lines}))
        atp = channel_atp(stocks, prepared.network)
        return promise(prepared, lines, to, now, atp, methods=methods, explain=explain)

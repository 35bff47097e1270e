"""The `services` section's dict form -> `CarrierServices`, refusing anything unclear with its path.

Accepted shapes: `{carriers: [...], click_and_collect: {...}}`, or a bare list of carriers. Times are
"HH:MM" strings in the location's (cut-offs) or the receiver's (delivery window) own time zone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import TypeVar

from core.calendar import DAY_NAMES, minutes_of
from core.carriers import (
    MODES,
    CarrierService,
    CarrierServices,
    ClickAndCollect,
    DistanceBand,
    Prefer,
    ServiceKind,
)
from core.errors import NetworkConfigError

_REQUIRED = ("service_id", "kind", "mode", "bands", "carrier_days", "delivery_window", "cutoff")
_OPTIONAL = ("kind_cutoffs", "location_cutoffs", "closed_dates", "prefer", "pickup_max_km", "pickup_points")
_SERVICE_KEYS = frozenset(_REQUIRED + _OPTIONAL)
_BAND_KEYS = frozenset({"max_km", "days", "parcel_cents"})
_CC_KEYS = frozenset({"max_km", "stores", "price_cents", "transfer_service"})
_T = TypeVar("_T")
_KINDS = {kind.value: kind for kind in ServiceKind}
_PREFER = {prefer.value: prefer for prefer in Prefer}
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d|24:00")


def parse_services(raw: object, path: str = "services") -> CarrierServices:
    """Build the carrier services; raises NetworkConfigError(message, path=...) at the first fault."""
    items, cc_raw = _split(raw, path)
    services: dict[str, CarrierService] = {}
    for index, item in enumerate(items):
        service = _service(item, f"{path}.carriers[{index}]")
        if service.service_id in services:
            raise NetworkConfigError(
                f"duplicate service_id {service.service_id!r}", path=f"{path}.carriers[{index}].service_id"
            )
        services[service.service_id] = service
    cc = None if cc_raw is None else _click_and_collect(cc_raw, services, f"{path}.click_and_collect")
    return CarrierServices(services=services, click_and_collect=cc)


def _split(raw: object, path: str) -> tuple[list[object], object]:
    if isinstance(raw, list):
        return raw, None
    if not isinstance(raw, Mapping):
        raise NetworkConfigError("expected a mapping with a `carriers` list", path=path)
    _known(raw, frozenset({"carriers", "click_and_collect"}), path)
    items = raw.get("carriers")
    if not isinstance(items, list) or not items:
        raise NetworkConfigError("expected a non-empty list of carrier services", path=f"{path}.carriers")
    return items, raw.get("click_and_collect")


def _service(item: object, path: str) -> CarrierService:
    if not isinstance(item, Mapping):
        raise NetworkConfigError("expected a mapping describing one carrier service", path=path)
    _known(item, _SERVICE_KEYS, path)
    for key in _REQUIRED:
        if key not in item:
            raise NetworkConfigError(f"missing required field {key!r}", path=f"{path}.{key}")
    service_id = item["service_id"]
    if not isinstance(service_id, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", service_id):
        raise NetworkConfigError(
            f"expected a lower_snake_case id, got {service_id!r}", path=f"{path}.service_id"
        )
    return CarrierService(
        service_id=service_id,
        kind=_choice(item["kind"], _KINDS, f"{path}.kind"),
        mode=_choice(item["mode"], MODES, f"{path}.mode"),
        bands=_bands(item["bands"], f"{path}.bands"),
        carrier_days=_days(item["carrier_days"], f"{path}.carrier_days"),
        delivery_window=_window(item["delivery_window"], f"{path}.delivery_window"),
        cutoff=_time(item["cutoff"], f"{path}.cutoff"),
        kind_cutoffs=_times(item.get("kind_cutoffs", {}), f"{path}.kind_cutoffs", upper=True),
        location_cutoffs=_times(item.get("location_cutoffs", {}), f"{path}.location_cutoffs"),
        closed_dates=parse_dates(item.get("closed_dates", []), f"{path}.closed_dates"),
        prefer=_choice(item.get("prefer", "parcels"), _PREFER, f"{path}.prefer"),
        pickup_max_km=_number(item.get("pickup_max_km", 10.0), f"{path}.pickup_max_km"),
        pickup_points=_count(item.get("pickup_points", 3), f"{path}.pickup_points", low=1),
    )


def _bands(value: object, path: str) -> tuple[DistanceBand, ...]:
    if not isinstance(value, list) or not value:
        raise NetworkConfigError("expected a non-empty list of distance bands", path=path)
    bands: list[DistanceBand] = []
    for index, item in enumerate(value):
        where = f"{path}[{index}]"
        if not isinstance(item, Mapping):
            raise NetworkConfigError("expected {max_km, days: [min, max], parcel_cents}", path=where)
        _known(item, _BAND_KEYS, where)
        days = item.get("days")
        if not isinstance(days, list) or len(days) != 2:
            raise NetworkConfigError(f"expected [min_days, max_days], got {days!r}", path=f"{where}.days")
        low, high = (_count(day, f"{where}.days") for day in days)
        if high < low:
            raise NetworkConfigError(f"max_days {high} is below min_days {low}", path=f"{where}.days")
        band = DistanceBand(
            _number(item.get("max_km"), f"{where}.max_km"),
            low,
            high,
            _count(item.get("parcel_cents"), f"{where}.parcel_cents"),
        )
        if bands and band.max_km <= bands[-1].max_km:
            raise NetworkConfigError("bands must be in increasing max_km", path=f"{where}.max_km")
        bands.append(band)
    return tuple(bands)


def _click_and_collect(value: object, services: Mapping[str, CarrierService], path: str) -> ClickAndCollect:
    if not isinstance(value, Mapping):
        raise NetworkConfigError("expected a mapping", path=path)
    _known(value, _CC_KEYS, path)
    transfer = value.get("transfer_service")
    if transfer is not None and (
        transfer not in services or services[transfer].kind is not ServiceKind.SHIP_TO_STORE
    ):
        raise NetworkConfigError(
            f"{transfer!r} is not a ship_to_store service", path=f"{path}.transfer_service"
        )
    return ClickAndCollect(
        max_km=_number(value.get("max_km", 25.0), f"{path}.max_km"),
        stores=_count(value.get("stores", 3), f"{path}.stores", low=1),
        price_cents=_count(value.get("price_cents", 0), f"{path}.price_cents"),
        transfer_service=transfer,
    )


def _known(item: Mapping[str, object], allowed: frozenset[str], path: str) -> None:
    for key in item:
        if key not in allowed:
            raise NetworkConfigError(
                f"unknown field {key!r}; expected one of {', '.join(sorted(allowed))}", path=f"{path}.{key}"
            )


def _choice(value: object, options: Mapping[str, _T], path: str) -> _T:
    if not isinstance(value, str) or value.lower() not in options:
        raise NetworkConfigError(f"unknown value {value!r}; expected one of {', '.join(options)}", path=path)
    return options[value.lower()]


def _count(value: object, path: str, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise NetworkConfigError(f"expected a whole number >= {low}, got {value!r}", path=path)
    return value


def _number(value: object, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e6:
        raise NetworkConfigError(f"expected a positive number of km, got {value!r}", path=path)
    return float(value)


def _time(value: object, path: str) -> int:
    if not isinstance(value, str) or not _HHMM.fullmatch(value.strip()):
        raise NetworkConfigError(f'bad time {value!r}: expected "HH:MM" (quote it in YAML)', path=path)
    return minutes_of(value.strip())


def _times(value: object, path: str, upper: bool = False) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise NetworkConfigError('expected a mapping of name to "HH:MM"', path=path)
    return {(str(k).upper() if upper else str(k)): _time(v, f"{path}.{k}") for k, v in value.items()}


def _window(value: object, path: str) -> tuple[int, int]:
    parts = value.split("-") if isinstance(value, str) else value
    if not isinstance(parts, list | tuple) or len(parts) != 2:
        raise NetworkConfigError(f'expected "HH:MM-HH:MM", got {value!r}', path=path)
    opens, closes = _time(parts[0], path), _time(parts[1], path)
    if closes <= opens:
        raise NetworkConfigError("the window must close after it opens", path=path)
    return opens, closes


def _days(value: object, path: str) -> frozenset[int]:
    if not isinstance(value, list) or not value:
        raise NetworkConfigError(f"expected a non-empty list of days ({', '.join(DAY_NAMES)})", path=path)
    days = set()
    for index, name in enumerate(value):
        if not isinstance(name, str) or name.lower() not in DAY_NAMES:
            raise NetworkConfigError(f"unknown day {name!r}", path=f"{path}[{index}]")
        days.add(DAY_NAMES.index(name.lower()))
    return frozenset(days)


def parse_dates(value: object, path: str) -> frozenset[date]:
    """A list of ISO dates (or YAML dates) as a set; a closed-days list of a service or a location."""
    if not isinstance(value, list):
        raise NetworkConfigError("expected a list of ISO dates", path=path)
    found = set()
    for index, item in enumerate(value):
        if isinstance(item, date):  # YAML reads an unquoted 2026-12-25 as a date
            found.add(item)
            continue
        try:
            found.add(date.fromisoformat(str(item)))
        except ValueError:
            raise NetworkConfigError(f"expected an ISO date, got {item!r}", path=f"{path}[{index}]") from None
    return frozenset(found)

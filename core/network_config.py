"""The network file's dict form -> `Network`, refusing anything unclear with the exact path at fault.

Opening hours are one interval per day, `"HH:MM-HH:MM"` or `["HH:MM", "HH:MM"]`, closing after opening
("24:00" closes at midnight); a day not listed is a closed day, and `closed_dates` lists the dates a
location stays shut (holidays, stocktakes). The `services` section is read by core.carriers_config,
`routing` by core.routing_config.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.carriers_config import parse_dates, parse_services
from core.errors import NetworkConfigError
from core.network import Capability, Location, LocationKind, Network
from core.routing_config import parse_routing_rules
from core.routing_rules import DEFAULT_RULES

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TOP_KEYS = frozenset({"version", "locations", "services", "routing"})
_REQUIRED = ("location_id", "kind", "name", "lat", "lon", "timezone")
_OPTIONAL = (
    "capabilities",
    "opening_hours",
    "safety_stock",
    "daily_pick_capacity",
    "handling_time_minutes",
    "pick_cost_cents",
    "online_protection",
    "closed_dates",
    "accept_sla_minutes",
)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_HHMM = re.compile(r"([01]\d|2[0-3]):[0-5]\d|24:00")


def parse_network(data: Mapping[str, object]) -> Network:
    """Build the network; raises NetworkConfigError(message, path=...) at the first thing wrong."""
    if not isinstance(data, Mapping):
        raise NetworkConfigError("the network must be a mapping with a `locations` list", path="")
    _no_unknown_keys(data, _TOP_KEYS, "")
    items = data.get("locations")
    if not isinstance(items, list) or not items:
        raise NetworkConfigError("expected a non-empty list of locations", path="locations")
    locations: dict[str, Location] = {}
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        location = _location(item, f"locations[{index}]")
        known = location.location_id
        if known in first_seen:
            raise NetworkConfigError(
                f"duplicate location_id {known!r} (first at locations[{first_seen[known]}])",
                path=f"locations[{index}].location_id",
            )
        first_seen[known] = index
        locations[known] = location
    version = data.get("version", _digest(data))
    if not isinstance(version, str | int) or isinstance(version, bool):
        raise NetworkConfigError("expected a string", path="version")
    raw_services = data.get("services")
    services = None if raw_services is None else parse_services(raw_services)
    raw_routing = data.get("routing")
    routing = DEFAULT_RULES if raw_routing is None else parse_routing_rules(raw_routing)
    return Network(locations=locations, version=str(version), services=services, routing=routing)


def _digest(data: Mapping[str, object]) -> str:
    """A version for a file that names none: the same content always gets the same version."""
    canonical = json.dumps(data, sort_keys=True, default=str).encode()
    return "sha256:" + hashlib.sha256(canonical).hexdigest()[:12]


def _location(item: object, path: str) -> Location:
    if not isinstance(item, Mapping):
        raise NetworkConfigError("expected a mapping describing one location", path=path)
    _no_unknown_keys(item, frozenset(_REQUIRED + _OPTIONAL), path)
    for key in _REQUIRED:
        if key not in item:
            raise NetworkConfigError(f"missing required field {key!r}", path=f"{path}.{key}")
    kind = _kind(item["kind"], f"{path}.kind")
    capabilities = _capabilities(item.get("capabilities", []), f"{path}.capabilities")
    if kind is LocationKind.RELAY_POINT and Capability.SHIP in capabilities:
        raise NetworkConfigError(
            "a relay point keeps no stock, so it cannot have SHIP", path=f"{path}.capabilities"
        )
    return Location(
        location_id=_identifier(item["location_id"], f"{path}.location_id"),
        kind=kind,
        name=_text(item["name"], f"{path}.name"),
        lat=_number(item["lat"], -90.0, 90.0, f"{path}.lat"),
        lon=_number(item["lon"], -180.0, 180.0, f"{path}.lon"),
        timezone=_timezone(item["timezone"], f"{path}.timezone"),
        capabilities=capabilities,
        safety_stock=_count(item.get("safety_stock", 0), f"{path}.safety_stock"),
        opening_hours=_opening_hours(item.get("opening_hours", {}), f"{path}.opening_hours"),
        daily_pick_capacity=_optional_count(item.get("daily_pick_capacity"), f"{path}.daily_pick_capacity"),
        handling_time_minutes=_count(item.get("handling_time_minutes", 0), f"{path}.handling_time_minutes"),
        pick_cost_cents=_count(item.get("pick_cost_cents", 0), f"{path}.pick_cost_cents"),
        online_protection=_count(item.get("online_protection", 0), f"{path}.online_protection"),
        closed_dates=parse_dates(item.get("closed_dates", []), f"{path}.closed_dates"),
        accept_sla_minutes=_sla(item.get("accept_sla_minutes"), f"{path}.accept_sla_minutes"),
    )


def _no_unknown_keys(item: Mapping[str, object], allowed: frozenset[str], path: str) -> None:
    for key in item:
        if key not in allowed:
            where = f"{path}.{key}" if path else str(key)
            raise NetworkConfigError(
                f"unknown field {key!r}; expected one of {', '.join(sorted(allowed))}", path=where
            )


def _identifier(value: object, path: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise NetworkConfigError(
            f"expected an id of 1-64 letters, digits, '.', '_' or '-', got {value!r}", path=path
        )
    return value


def _text(value: object, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise NetworkConfigError(f"expected a non-empty string, got {value!r}", path=path)
    return value


def _number(value: object, low: float, high: float, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NetworkConfigError(f"expected a number, got {value!r}", path=path)
    if not low <= value <= high:
        raise NetworkConfigError(f"expected a number between {low:g} and {high:g}, got {value!r}", path=path)
    return float(value)


def _count(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise NetworkConfigError(f"expected a whole number >= 0, got {value!r}", path=path)
    return value


def _sla(value: object, path: str) -> float | None:
    """Minutes, fractions allowed (tests use seconds), up to a week."""
    return None if value is None else _number(value, 0.0, 7 * 24 * 60.0, path)


def _optional_count(value: object, path: str) -> int | None:
    return None if value is None else _count(value, path)


def _kind(value: object, path: str) -> LocationKind:
    names = {kind.value for kind in LocationKind}
    if not isinstance(value, str) or value.upper() not in names:
        raise NetworkConfigError(
            f"unknown kind {value!r}; expected one of {', '.join(sorted(names))}", path=path
        )
    return LocationKind(value.upper())


def _capabilities(value: object, path: str) -> frozenset[Capability]:
    if not isinstance(value, list):
        raise NetworkConfigError(f"expected a list of capabilities, got {value!r}", path=path)
    names = {capability.value for capability in Capability}
    found = set()
    for index, name in enumerate(value):
        if not isinstance(name, str) or name.upper() not in names:
            raise NetworkConfigError(
                f"unknown capability {name!r}; expected one of {', '.join(sorted(names))}",
                path=f"{path}[{index}]",
            )
        found.add(Capability(name.upper()))
    return frozenset(found)


def _timezone(value: object, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise NetworkConfigError(
            f"expected an IANA time zone name such as 'Europe/Paris', got {value!r}", path=path
        )
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise NetworkConfigError(
            f"unknown time zone {value!r}; expected an IANA name such as 'Europe/Paris'", path=path
        ) from None
    return value


def _opening_hours(value: object, path: str) -> dict[str, tuple[str, str]]:
    if not isinstance(value, Mapping):
        raise NetworkConfigError(
            f"expected a mapping of day ({', '.join(DAYS)}) to hours, got {value!r}", path=path
        )
    hours = {}
    for day, span in value.items():
        if day not in DAYS:
            raise NetworkConfigError(
                f"unknown day {day!r}; expected one of {', '.join(DAYS)}", path=f"{path}.{day}"
            )
        hours[day] = _span(span, f"{path}.{day}")
    return hours


def _span(value: object, path: str) -> tuple[str, str]:
    parts = value.split("-") if isinstance(value, str) else value
    if not isinstance(parts, list | tuple) or len(parts) != 2:
        raise NetworkConfigError(
            f'expected "HH:MM-HH:MM" or ["HH:MM", "HH:MM"], got {value!r}'
            " (in YAML, quote times: an unquoted 10:00 reads as a number)",
            path=path,
        )
    opens, closes = (_time(part, path) for part in parts)
    if closes <= opens:
        raise NetworkConfigError(f"closing time {closes} is not after opening time {opens}", path=path)
    return opens, closes


def _time(value: object, path: str) -> str:
    text = value.strip() if isinstance(value, str) else value
    if not isinstance(text, str) or not _HHMM.fullmatch(text):
        raise NetworkConfigError(
            f'bad time {value!r}: expected "HH:MM" from "00:00" to "24:00"'
            " (in YAML, quote times: an unquoted 10:00 reads as a number)",
            path=path,
        )
    return text

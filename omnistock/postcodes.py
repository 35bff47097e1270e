"""The postcode lookup table of promises: a CSV of `prefix, lat, lon[, timezone]` (packaged by default)."""

from __future__ import annotations

import csv
import os
from importlib.resources import as_file, files
from pathlib import Path

from core.errors import NetworkConfigError
from core.geo import Place, parse_postcode_rows


def default_postcode_path() -> Path:
    """The table packaged with omnistock (omnistock/data/postcodes.csv): French departments, London."""
    with as_file(files("omnistock") / "data" / "postcodes.csv") as path:
        return Path(path)


def load_postcodes(path: str | os.PathLike[str] | None = None) -> dict[str, Place]:
    """Prefix -> place; a file that cannot be read or parsed is a NetworkConfigError naming it."""
    path = Path(path) if path is not None else default_postcode_path()
    try:
        with path.open(encoding="utf-8", newline="") as file:
            rows = list(csv.reader(file))
        return parse_postcode_rows(rows[1:])  # the first row is the header
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise NetworkConfigError(
            f"cannot load the postcode table {str(path)!r}: {error}", file=str(path)
        ) from None

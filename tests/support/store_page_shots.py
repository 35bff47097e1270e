"""Screenshots of the store page at desktop and phone width, for the README (docs/store-page*.png).

    python -m tests.support.store_page_shots                     # a scripted store with a few shipments
    python -m tests.support.store_page_shots --url http://127.0.0.1:8000/store/S-1 --key KEY

Without --url it serves the page from tests/support/scripted_store_api.py; with it, it shoots the
real stack's page (the key, when given, goes in as #key=..., as a manager's link would).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from tests.support.browser import headless_chromium, set_viewport
from tests.support.scripted_store_api import ScriptedServer, ScriptedStore, shipment

DOCS = Path(__file__).resolve().parents[2] / "docs"
SIZES = {"store-page.png": (1280, 900), "store-page-phone.png": (360, 740)}


def demo_store() -> ScriptedStore:
    """A store on a busy morning: one order to accept at once, one overdue, some in progress."""
    now = datetime.now(UTC)
    return ScriptedStore(
        shipments=[
            shipment(
                "O-10482", due_in=timedelta(minutes=3, seconds=20), lines=[("TSHIRT-BLK-M", 2)], now=now
            ),
            shipment("O-10479", due_in=timedelta(seconds=-75), lines=[("SNEAKER-42", 1)], now=now),
            shipment(
                "O-10475",
                due_in=timedelta(minutes=38),
                flow="PICKUP",
                lines=[("JEANS-32-32", 1), ("BELT-BRN", 1)],
                age=timedelta(minutes=22),
                now=now,
            ),
            shipment(
                "O-10466",
                due_in=timedelta(hours=5),
                status="PICKED",
                lines=[("HOODIE-GRY-L", 1)],
                age=timedelta(hours=1, minutes=5),
                now=now,
            ),
        ],
        used=27,
    )


def shoot(url: str, out: Path, settle_s: float = 1.5, max_height: int = 0) -> list[Path]:
    """Loads `url` at each size and saves a full-page screenshot (cut at `max_height` px when given: a
    busy store's queue is pages long); returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (width, height) in SIZES.items():
        with headless_chromium(width, height) as driver:
            driver.get(url)
            time.sleep(settle_s)  # the first poll answers and the countdown ticks once
            page_height = driver.execute_script("return document.documentElement.scrollHeight")
            shown = max(height, int(page_height))
            set_viewport(driver, width, min(shown, max_height) if max_height else shown)
            time.sleep(0.3)
            path = out / name
            driver.save_screenshot(str(path))
            written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="the store page of a running API (default: a scripted store)")
    parser.add_argument("--key", help="the store's API key, passed as #key=...")
    parser.add_argument("--out", type=Path, default=DOCS, help="where the PNGs go (default: docs/)")
    parser.add_argument(
        "--max-height", type=int, default=0, help="cut the page at this many pixels (0: whole page)"
    )
    args = parser.parse_args()
    if args.url:
        url = args.url + (f"#key={quote(args.key)}" if args.key else "")
        written = shoot(url, args.out, max_height=args.max_height)
    else:
        with ScriptedServer(demo_store()) as server:
            written = shoot(f"{server.base}/store/S-1", args.out)
    for path in written:
        print(path)


if __name__ == "__main__":
    main()

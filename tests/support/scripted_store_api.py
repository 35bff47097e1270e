"""A scripted store backend: the real store page router and in-memory /v1/stores routes (SPEC17 items 1-5)
that a test controls, served by uvicorn on a fixed port it can take down and bring back.

It lets the page's tests show what the real stack cannot easily: a refusal on demand, a shipment
appearing while the connection is down, exactly how many POSTs a double click sent.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from starlette.responses import Response

from api.errors import ApiError, install_error_handlers
from api.responses import JsonResponse
from api.routes.store_page import store_page_router

REASONS = {"NOT_FOUND", "DAMAGED", "STORE_BUSY", "OTHER"}
# status -> (action -> next status) per flow; None: the shipment leaves the queue.
_SHIP = {
    "REQUESTED": {"accept": "ACCEPTED"},
    "ACCEPTED": {"picked": "PICKED"},
    "PICKED": {"shipped": None},
}
_PICKUP = {
    "REQUESTED": {"accept": "ACCEPTED"},
    "ACCEPTED": {"picked": "PICKED"},
    "PICKED": {"ready": "READY_FOR_PICKUP"},
    "READY_FOR_PICKUP": {"collected": None},
}


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def shipment(
    order_id: str,
    *,
    due_in: timedelta,
    flow: str = "SHIP",
    status: str = "REQUESTED",
    lines: list[tuple[str, int]] | None = None,
    age: timedelta = timedelta(minutes=3),
    now: datetime | None = None,
) -> dict[str, Any]:
    """One shipment as GET /v1/stores/{location_id}/shipments lists it, due `due_in` from now."""
    now = now or datetime.now(UTC)
    due = now + due_in
    promised = now + timedelta(days=2) if flow == "SHIP" else now + timedelta(hours=4)
    return {
        "order_id": order_id,
        "shipment_id": f"{order_id}-1",
        "status": status,
        "pending": False,
        "method": "CLICK_COLLECT" if flow == "PICKUP" else "HOME_STANDARD",
        "flow": flow,
        "lines": [
            {"line_id": f"l{n}", "sku": sku, "quantity": quantity}
            for n, (sku, quantity) in enumerate(lines or [("SKU-1", 1)], start=1)
        ],
        "requested_at": iso(now - age),
        "accept_by": iso(due) if status == "REQUESTED" else None,
        "promised_earliest": iso(promised - timedelta(hours=2)),
        "promised_latest": iso(promised),
        "due_at": iso(due),
        "age_s": int(age.total_seconds()),
        "actions": [],
    }


@dataclass
class ScriptedStore:
    """What the scripted routes serve and record; a test changes it between steps."""

    location_id: str = "S-1"
    name: str = "Lyon Part-Dieu"
    daily: int | None = 40
    used: int = 12
    shipments: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, str] | None = None  # key -> the location it acts for ("*": every store); None: open
    refusals: dict[tuple[str, str], tuple[int, str, str]] = field(default_factory=dict)
    posts: list[tuple[str, dict[str, Any] | None]] = field(default_factory=list)
    stock: dict[str, dict[str, Any]] = field(default_factory=dict)
    count_failures: int = 0  # the next N counts answer 503 publish_failed (the page retries with the same id)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def posts_to(self, suffix: str) -> list[dict[str, Any] | None]:
        with self.lock:
            return [body for path, body in self.posts if path.endswith(suffix)]

    def add(self, *added: dict[str, Any]) -> None:
        with self.lock:
            self.shipments.extend(added)


def _allowed(item: dict[str, Any]) -> list[str]:
    flows = _PICKUP if item["flow"] == "PICKUP" else _SHIP
    return [*flows.get(item["status"], {}), "reject"]


def _check_key(store: ScriptedStore, request: Request, location_id: str) -> None:
    if store.keys is None:
        return
    key = request.headers.get("x-api-key")
    if key is None or key not in store.keys:
        raise ApiError(401, "unauthorized", "A valid API key is required in the X-API-Key header.")
    acts_for = store.keys[key]
    if acts_for not in ("*", location_id):
        raise ApiError(403, "forbidden", f"This API key acts for store {acts_for} only.")


def scripted_app(store: ScriptedStore) -> FastAPI:
    """The page router plus the five store routes, answering from `store`."""
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(store_page_router())

    def known(request: Request, location_id: str) -> None:
        _check_key(store, request, location_id)
        if location_id != store.location_id:
            raise ApiError(404, "unknown_location", f"No store is named {location_id}.")

    @app.get("/v1/stores")
    async def stores(request: Request) -> Response:
        _check_key(store, request, store.location_id)
        one = {
            "location_id": store.location_id,
            "name": store.name,
            "kind": "STORE",
            "timezone": "Europe/Paris",
        }
        return JsonResponse({"stores": [one]})

    @app.get("/v1/stores/{location_id}/shipments")
    async def queue(request: Request, location_id: str) -> Response:
        known(request, location_id)
        now = datetime.now(UTC)
        with store.lock:
            listed = [{**item, "actions": _allowed(item)} for item in store.shipments]
        listed.sort(key=lambda item: str(item["due_at"]))
        capacity = {"day": now.date().isoformat(), "used": store.used, "daily": store.daily}
        return JsonResponse(
            {
                "location_id": location_id,
                "name": store.name,
                "timezone": "Europe/Paris",
                "as_of": iso(now),
                "capacity": capacity,
                "shipments": listed,
            }
        )

    @app.post("/v1/stores/{location_id}/shipments/{shipment_id}/{action}")
    async def act(request: Request, location_id: str, shipment_id: str, action: str) -> Response:
        body = await request.body()
        payload = await request.json() if body else None
        with store.lock:
            store.posts.append((request.url.path, payload))
        known(request, location_id)
        refusal = store.refusals.get((shipment_id, action))
        if refusal is not None:
            status, code, message = refusal
            raise ApiError(status, code, message)
        with store.lock:
            item = next((s for s in store.shipments if s["shipment_id"] == shipment_id), None)
            if item is None:
                raise ApiError(404, "shipment_not_found", f"No shipment {shipment_id} at this store.")
            allowed = _allowed(item)
            if action not in allowed:
                message = f"This shipment is {item['status'].lower()}: it cannot be {action}."
                raise ApiError(409, "action_not_allowed", message, status=item["status"], allowed=allowed)
            if action == "reject" and (payload or {}).get("reason") not in REASONS:
                raise ApiError(422, "invalid_request", "Say why: NOT_FOUND, DAMAGED, STORE_BUSY or OTHER.")
            flows = _PICKUP if item["flow"] == "PICKUP" else _SHIP
            after = None if action == "reject" else flows[item["status"]][action]
            if after is None:
                store.shipments.remove(item)
            else:
                item["status"] = after
                item["accept_by"] = None
                item["due_at"] = item["promised_earliest" if item["flow"] == "PICKUP" else "promised_latest"]
            answer = {
                "event_id": f"store:{shipment_id}:{action}",
                "shipment_id": shipment_id,
                "duplicate": False,
            }
        return JsonResponse(answer, status_code=202)

    @app.get("/v1/stores/{location_id}/stock/{sku}")
    async def stock(request: Request, location_id: str, sku: str) -> Response:
        known(request, location_id)
        if sku not in store.stock:
            raise ApiError(404, "sku_not_found", f"No stock was ever recorded for {sku}.")
        return JsonResponse({"sku": sku, "as_of": iso(datetime.now(UTC)), **store.stock[sku]})

    @app.post("/v1/stores/{location_id}/counts")
    async def count(request: Request, location_id: str) -> Response:
        payload = await request.json()
        with store.lock:
            store.posts.append((request.url.path, payload))
        known(request, location_id)
        with store.lock:
            failing, store.count_failures = store.count_failures > 0, max(0, store.count_failures - 1)
        if failing:
            raise ApiError(503, "publish_failed", "The count could not be sent to the broker; send it again.")
        return JsonResponse(
            {"event_id": f"count:{location_id}:{payload.get('count_id')}", "duplicate": False}, 202
        )

    return app


class ScriptedServer:
    """uvicorn serving the scripted app on one port that survives `down()` and `up()` (the connection
    lost and found again, as the page sees it)."""

    def __init__(self, store: ScriptedStore) -> None:
        self.store = store
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port: int = probe.getsockname()[1]
        probe.close()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        config = uvicorn.Config(scripted_app(self.store), log_level="warning", lifespan="off")
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        for _ in range(1000):
            if server.started:
                break
            threading.Event().wait(0.01)
        else:
            raise RuntimeError("uvicorn did not start")
        self._server, self._thread = server, thread

    def down(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> ScriptedServer:
        self.up()
        return self

    def __exit__(self, *_: object) -> None:
        self.down()

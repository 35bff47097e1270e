"""The Lua scripts of the stock table and of pick capacity: sources (preludes + body), loaded by SHA."""

from __future__ import annotations

from importlib import resources

import redis

NAMES = (
    "adjust", "count", "transfer", "safety_stock", "hold", "alloc", "expire", "reconcile", "due", "capacity"
)  # fmt: skip
# default: common.lua only; capacity.lua stands alone (its key is not a stock hash)
_PRELUDES = {"hold": 2, "alloc": 2, "expire": 2, "reconcile": 2, "due": 0, "capacity": 0}


def source(name: str) -> str:
    """The full text of one script: its preludes (common.lua, then holdlib.lua) followed by its body."""
    lua = resources.files("state") / "lua"
    preludes = ("common", "holdlib")[: _PRELUDES.get(name, 1)]
    return "\n".join((lua / f"{part}.lua").read_text() for part in (*preludes, name))


class Scripts:
    """SHA of each script, loaded with SCRIPT LOAD on first use and again after NOSCRIPT."""

    def __init__(self) -> None:
        self._sources = {name: source(name) for name in NAMES}
        self._shas: dict[str, str] = {}

    def shas(self, client: redis.Redis) -> dict[str, str]:
        if not self._shas:
            self.load(client)
        return self._shas

    def load(self, client: redis.Redis) -> None:
        self._shas = {name: str(client.script_load(text)) for name, text in self._sources.items()}

"""The embedded broker's memory, bounded: Tansu 0.6 keeps every record in memory and has no retention,
so a dev stack fed for hours would take all of the machine's (1.1 GB within 7 minutes was seen).

`omnistock dev` reads the broker's resident memory at each refresh and, past the bound, starts the
whole stack again (a fresh broker, Redis prefix and stock), with a note on the screen.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_BROKER_MAX_MB = 600


def resident_mb(pid: int, proc: Path = Path("/proc")) -> float | None:
    """The resident memory of process `pid` in MB (VmRSS), None where /proc does not tell."""
    try:
        status = (proc / str(pid) / "status").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024  # kB
    return None


class BrokerBound:
    """Names why the stack must restart once the broker holds more than `max_mb` (0: no bound)."""

    def __init__(self, pid: int, max_mb: float) -> None:
        self.pid, self.max_mb = pid, max_mb

    def current_mb(self) -> float | None:
        return resident_mb(self.pid)

    def __call__(self) -> str | None:
        held = self.current_mb()
        if not self.max_mb or held is None or held <= self.max_mb:
            return None
        return f"the embedded broker holds {held:.0f} MB, over --broker-max-mb {self.max_mb:g}"

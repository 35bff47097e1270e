"""`.omnistock/dev/env`: the settings of the running dev stack, for `source` in another terminal.

`source .omnistock/dev/env && omnistock produce pos.sales.v1 sales.jsonl` then reaches the stack's
broker, Redis prefix and topics; a second `omnistock worker` joins its consumer group. The file goes
when the stack stops, so a stale one never points at a stack that is gone.
"""

from __future__ import annotations

import contextlib
import shlex
from collections.abc import Mapping
from pathlib import Path


def env_file_text(env: Mapping[str, str]) -> str:
    """One `export NAME=value` line per setting, quoted for a POSIX shell."""
    header = (
        "# the settings of the running `omnistock dev`; removed when it stops. A worker started with\n"
        "# them joins its group without /metrics (the dev worker holds the port): set\n"
        "# OMNISTOCK_WORKER_METRICS_PORT to a free port to have them.\n"
    )
    return header + "".join(f"export {name}={shlex.quote(value)}\n" for name, value in sorted(env.items()))


def write_env_file(path: Path, env: Mapping[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(env_file_text(env), encoding="utf-8")
    return path


def remove_env_file(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()

"""Installs Debian packages a test suite needs (Prometheus, Chromium) on a machine that lacks them.

As root with apt-get (CI, the development machines) the packages are installed once; elsewhere a
RuntimeError says why, which the suites turn into a failure under CI and a skip otherwise. A first
install that fails is tried again after `apt-get update` (a fresh machine's package lists may be stale).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence

APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}


def install_debian_packages(packages: Sequence[str], missing: str) -> None:
    """apt-get install `packages`; `missing` names what is absent, for the message when it cannot be done."""
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise RuntimeError(f"{missing} is not installed and apt-get as root is not available to install it")
    install = [apt, "install", "-y", "--no-install-recommends", *packages]
    if subprocess.run(install, env=APT_ENV, capture_output=True, check=False).returncode == 0:  # noqa: S603
        return
    subprocess.run([apt, "update"], env=APT_ENV, capture_output=True, check=False)  # noqa: S603
    done = subprocess.run(install, env=APT_ENV, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"apt-get install {' '.join(packages)} failed: {done.stderr.strip()[-500:]}")

"""Prometheus's `prometheus` and `promtool` binaries: on PATH, or installed from Debian's package.

A fresh machine lacks them; as root with apt-get (CI, the development machines) the package
`prometheus` (2.42 on Debian 12) is installed once. Its service is never started: the tests run the
binaries themselves, on their own ports and storage.
"""

from __future__ import annotations

import os
import shutil
import subprocess

APT_ENV = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}


def prometheus_binaries() -> tuple[str, str]:
    """(prometheus, promtool) paths; RuntimeError saying why when they cannot be had."""
    found = shutil.which("prometheus"), shutil.which("promtool")
    if found[0] and found[1]:
        return found[0], found[1]
    _install_debian_package()
    found = shutil.which("prometheus"), shutil.which("promtool")
    if not (found[0] and found[1]):
        raise RuntimeError("the Debian package prometheus installed no prometheus/promtool on PATH")
    return found[0], found[1]


def _install_debian_package() -> None:
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        raise RuntimeError("promtool is not installed and apt-get as root is not available to install it")
    install = [apt, "install", "-y", "--no-install-recommends", "prometheus"]
    if subprocess.run(install, env=APT_ENV, capture_output=True, check=False).returncode == 0:  # noqa: S603
        return
    subprocess.run([apt, "update"], env=APT_ENV, capture_output=True, check=False)  # noqa: S603
    done = subprocess.run(install, env=APT_ENV, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"apt-get install prometheus failed: {done.stderr.strip()[-500:]}")

"""Prometheus's `prometheus` and `promtool` binaries: on PATH, or installed from Debian's package.

A fresh machine lacks them; as root with apt-get (CI, the development machines) the package
`prometheus` (2.42 on Debian 12) is installed once. Its service is never started: the tests run the
binaries themselves, on their own ports and storage.
"""

from __future__ import annotations

import shutil

from tests.support.debian_packages import install_debian_packages


def prometheus_binaries() -> tuple[str, str]:
    """(prometheus, promtool) paths; RuntimeError saying why when they cannot be had."""
    found = shutil.which("prometheus"), shutil.which("promtool")
    if found[0] and found[1]:
        return found[0], found[1]
    install_debian_packages(["prometheus"], missing="promtool")
    found = shutil.which("prometheus"), shutil.which("promtool")
    if not (found[0] and found[1]):
        raise RuntimeError("the Debian package prometheus installed no prometheus/promtool on PATH")
    return found[0], found[1]

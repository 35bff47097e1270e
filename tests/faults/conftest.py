"""The fault suite's figures, printed after the run (also with -s, as each scenario ends)."""

from __future__ import annotations

import pytest

from tests.faults.harness import FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("fault suite figures")
        for figures in FIGURES:
            terminalreporter.write_line(figures.line())

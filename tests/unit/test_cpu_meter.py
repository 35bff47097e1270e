"""The CPU meter of the benchmarks: CPU per process between marks, as % of one core."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from omnistock.bench.cpu_meter import CpuMeter, cpu_line


def test_a_process_that_spins_shows_about_one_core_and_a_sleeping_one_none() -> None:
    spin = "import time\nend = time.monotonic() + 3\nwhile time.monotonic() < end: pass"
    spinner = subprocess.Popen([sys.executable, "-c", spin])
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3)"])
    try:
        time.sleep(0.3)  # both started
        meter = CpuMeter({"spinner": spinner.pid, "sleeper": sleeper.pid})
        meter.mark()
        time.sleep(1.0)
        shares = meter.shares()
    finally:
        spinner.kill()
        sleeper.kill()
        spinner.wait()
        sleeper.wait()
    assert shares["spinner"] > 40  # one core, less whatever else this machine's tests take from it
    assert shares["sleeper"] < 5
    assert "this bench" in shares


def test_a_process_that_is_gone_is_left_out() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    meter = CpuMeter({"gone": gone.pid})
    meter.mark()
    assert "gone" not in meter.shares()


def test_the_line_names_each_process_and_the_cores_there_are() -> None:
    line = cpu_line({"broker": 91.2, "worker": 88.0}, cores=2)
    assert line == "CPU, % of one core: broker 91, worker 88; 179 of the 200 that 2 cores give"


@pytest.mark.parametrize("cores", [1, 4])
def test_the_line_gives_the_machine_s_capacity(cores: int) -> None:
    assert cpu_line({"worker": 50.0}, cores=cores).endswith(f"of the {cores * 100} that {cores} cores give")

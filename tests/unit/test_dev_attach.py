"""`omnistock dev` can be attached to: the usual ports when free, said when not, one line for a port
the user asked for that is taken, the env file a shell can source, and one line at the end."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

from omnistock.dev.broker_memory import BrokerBound, resident_mb
from omnistock.dev.env_file import env_file_text, remove_env_file, write_env_file
from omnistock.dev.ports import PortBusy, any_free_port, choose_port
from omnistock.dev.stack import Teardown, run_dev
from omnistock.settings import Settings


@pytest.fixture
def taken_port() -> object:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_the_preferred_port_is_taken_when_free() -> None:
    free = any_free_port()

    assert choose_port("api", None, free).number == free
    assert choose_port("api", None, free).note is None


def test_a_busy_preferred_port_gives_way_to_a_free_one_with_a_note(taken_port: int) -> None:
    port = choose_port("api", None, taken_port)

    assert port.number != taken_port
    assert port.note == f"api: port {taken_port} is in use, took {port.number}"


def test_a_busy_port_the_user_asked_for_is_an_error_naming_it(taken_port: int) -> None:
    with pytest.raises(PortBusy, match=f"port {taken_port} \\(api\\) is in use"):
        choose_port("api", taken_port, 8000)


def test_omnistock_dev_on_a_busy_port_says_so_in_one_line(
    taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_dev(Settings(), rate=1, duration=1, api_port=taken_port, sim_hour_s=60)

    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err.splitlines() == [
        f"omnistock dev: port {taken_port} (api) is in use; choose another one or stop what holds it"
    ]


def test_the_env_file_exports_each_setting_to_a_shell_that_sources_it(tmp_path: Path) -> None:
    settings = {"OMNISTOCK_BROKER": "127.0.0.1:9092", "OMNISTOCK_REDIS_PREFIX": "dev-1:", "ODD": "a b'c"}
    path = write_env_file(tmp_path / "dev" / "env", settings)

    shown = subprocess.run(  # noqa: S603 - a fixed command line
        ["/bin/sh", "-c", f'. "{path}" && env'],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": os.environ["PATH"]},
    ).stdout.splitlines()

    for name, value in settings.items():
        assert f"{name}={value}" in shown
    assert env_file_text(settings).count("export ") == 3


def test_the_env_file_goes_when_the_stack_stops(tmp_path: Path) -> None:
    path = write_env_file(tmp_path / "env", {"OMNISTOCK_BROKER": "x"})

    remove_env_file(path)
    remove_env_file(path)  # twice: a stack that stopped before writing it

    assert not path.exists()


def test_the_last_line_says_what_was_stopped_and_removed() -> None:
    teardown = Teardown()
    teardown.stopped += ["broker", "worker", "api", "simulation", "broker"]
    teardown.removed += ["dev-1:*", ".omnistock/dev/env", "dev-2:*", ".omnistock/dev/env"]  # a restart

    assert teardown.line() == (
        "stopped broker, worker, api, simulation; removed redis keys dev-1:*, dev-2:*, .omnistock/dev/env"
    )


def test_the_broker_bound_names_the_memory_held_once_past_it() -> None:
    own = os.getpid()
    held = resident_mb(own)

    assert held is not None
    assert held > 1
    assert BrokerBound(own, max_mb=held * 100)() is None
    assert BrokerBound(own, max_mb=0)() is None  # no bound
    reason = BrokerBound(own, max_mb=1)()
    assert reason is not None
    assert reason.endswith("over --broker-max-mb 1")


def test_a_process_gone_has_no_resident_memory() -> None:
    assert resident_mb(2**22 + 12345) is None

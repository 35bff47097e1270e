"""`omnistock produce` reads JSON lines, keys each record as the contract says, and refuses bad lines."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from omnistock.dev.ports import any_free_port
from omnistock.produce import _read_lines, produce_file
from omnistock.settings import Settings
from topics.events import PosSale


def test_each_json_line_becomes_a_record_keyed_by_the_topics_key_field():
    lines = io.BytesIO(
        b'{"event_id": "a", "location_id": "ST-1"}\n\n{"event_id": "b", "location_id": "ST-2"}\n'
    )
    records, errors = _read_lines(lines, "location_id")
    assert errors == []
    assert [key for key, _ in records] == [b"ST-1", b"ST-2"]
    assert records[0][1] == b'{"event_id": "a", "location_id": "ST-1"}'


def test_lines_that_are_not_json_objects_are_reported_with_their_number():
    lines = io.BytesIO(b'{"event_id": "a"}\nnot json\n[1, 2]\n')
    _, errors = _read_lines(lines, "location_id")
    assert [error.split(":")[0] for error in errors] == ["line 2", "line 3"]
    assert "a JSON object is expected" in errors[1]


SALE = (
    b'{"event_id": "e1", "occurred_at": 1767225600000, "location_id": "ST-1",'
    b' "lines": [{"sku": "A", "quantity": 2}]}'
)


def test_a_line_the_worker_would_refuse_is_refused_with_its_number_and_field():
    bad = SALE.replace(b'"quantity": 2', b'"quantity": "two"')
    lines = io.BytesIO(SALE + b"\n" + bad + b"\n")

    records, errors = _read_lines(lines, "location_id", PosSale, "pos.sales.v1")

    assert len(records) == 1
    assert errors == ["line 2: invalid pos.sales.v1 event: lines.0.quantity: Input should be a valid integer"]


def test_a_missing_file_is_one_line_naming_it(capsys: pytest.CaptureFixture[str], tmp_path: Path):
    missing = tmp_path / "nothing.jsonl"

    code = produce_file(Settings(), "pos.sales.v1", str(missing))

    assert code == 2
    assert capsys.readouterr().err == f"cannot read {missing}: No such file or directory\n"


def test_no_broker_is_one_line_naming_the_broker_tried(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    source = tmp_path / "sales.jsonl"
    source.write_bytes(SALE + b"\n")
    monkeypatch.setattr("omnistock.produce.BROKER_TIMEOUT_S", 1.0)
    closed = any_free_port()  # nothing listens there

    code = produce_file(Settings(broker=f"127.0.0.1:{closed}"), "pos.sales.v1", str(source))

    assert code == 1
    err = capsys.readouterr().err
    assert err == f"no broker answered at OMNISTOCK_BROKER=127.0.0.1:{closed} within 1 s; nothing produced\n"

"""`omnistock produce` reads JSON lines, keys each record as the contract says, and refuses bad lines."""

from __future__ import annotations

import io

from omnistock.produce import _read_lines


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

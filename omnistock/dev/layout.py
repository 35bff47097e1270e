"""Lays the dev screen's figures out in lines that fit a 100-column terminal: a wrapped line breaks
the columns a reader follows from one refresh to the next."""

from __future__ import annotations

from collections.abc import Iterable

WIDTH = 100
SEPARATOR = " | "
INDENT = "    "
ELLIPSIS = "…"


def cut(text: str, width: int = WIDTH) -> str:
    """`text`, shortened to `width` characters with an ellipsis when longer."""
    return text if len(text) <= width else text[: width - len(ELLIPSIS)] + ELLIPSIS


def pack(parts: Iterable[str], width: int = WIDTH, indent: str = INDENT) -> list[str]:
    """The parts joined by " | " into as few lines as fit `width`; lines after the first indented.
    A part too long for a line of its own is cut."""
    lines: list[str] = []
    current = ""
    for part in parts:
        if not part:
            continue
        candidate = current + SEPARATOR + part if current else (indent if lines else "") + part
        if current and len(candidate) > width:
            lines.append(cut(current, width))
            current = indent + part
        else:
            current = candidate
    if current:
        lines.append(cut(current, width))
    return lines


def fit(blocks: Iterable[str], width: int = WIDTH) -> str:
    """Each block (parts separated by " | ") packed in its own lines, the first unindented."""
    lines: list[str] = []
    for block in blocks:
        packed = pack(block.split(SEPARATOR), width)
        if lines and packed:
            packed[0] = cut(INDENT + packed[0], width)
        lines.extend(packed)
    return "\n".join(lines)

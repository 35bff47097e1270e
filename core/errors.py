"""The one exception root of omnistock and its flat subclasses, each carrying structured fields."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.movements import MovementResult


class OmnistockError(Exception):
    """Root of every error omnistock raises on purpose."""

    def __init__(self, message: str, **fields: object) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


class InvalidEvent(OmnistockError):
    """An input record could not be decoded or failed validation; `fields["code"]`, when given, names
    the reason in snake_case (its dead letter's reason), else it is "invalid_event"."""

    @property
    def code(self) -> str:
        return str(self.fields.get("code", "invalid_event"))


class EventsRefused(InvalidEvent):
    """The store refused some commands of a batch and applied the others: `results` has one entry per
    command (None where refused), `refused` the index of each refused command -> (code, message)."""

    def __init__(
        self, results: Sequence[MovementResult | None], refused: dict[int, tuple[str, str]]
    ) -> None:
        super().__init__(f"{len(refused)} commands refused", refused=len(refused))
        self.results = results
        self.refused = refused


class NetworkConfigError(OmnistockError):
    """The network file is not valid; `fields["path"]` says where."""


class StoreUnavailable(OmnistockError):
    """The stock store could not be reached (after retries)."""

"""The one exception root of omnistock and its flat subclasses, each carrying structured fields."""

from __future__ import annotations


class OmnistockError(Exception):
    """Root of every error omnistock raises on purpose."""

    def __init__(self, message: str, **fields: object) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


class InvalidEvent(OmnistockError):
    """An input record could not be decoded or failed validation."""


class NetworkConfigError(OmnistockError):
    """The network file is not valid; `fields["path"]` says where."""


class StoreUnavailable(OmnistockError):
    """The stock store could not be reached (after retries)."""

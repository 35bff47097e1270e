"""The port through which the API publishes events (streams/event_publisher.py on Kafka; a fake in tests)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from core.errors import OmnistockError


class PublishFailed(OmnistockError):
    """The broker did not take the event in time: nothing may be assumed published (retrying is safe,
    the event id makes a late duplicate harmless)."""


class EventPublisher(Protocol):
    async def publish(self, topic: str, key: str, record: Mapping[str, Any]) -> None:
        """Send `record` to `topic` (its contract name, unprefixed) and wait until the broker has it;
        raises PublishFailed when it does not within the publisher's bound."""
        ...

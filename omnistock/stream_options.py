"""The streams package's own options, built from settings (streams never reads omnistock settings)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from omnistock.settings import Settings
from streams.options import KafkaOptions, WorkerOptions


def _same_names(options: type[Any], settings: Settings) -> dict[str, Any]:
    """An option takes the setting of its name: the names are the same on purpose."""
    return {field.name: getattr(settings, field.name) for field in fields(options) if field.name != "kafka"}


def kafka_options(settings: Settings) -> KafkaOptions:
    return KafkaOptions(**_same_names(KafkaOptions, settings))


def worker_options(settings: Settings) -> WorkerOptions:
    return WorkerOptions(kafka=kafka_options(settings), **_same_names(WorkerOptions, settings))

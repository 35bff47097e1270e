"""Topic administration: create the topics that are missing, leave the existing ones alone."""

from __future__ import annotations

from collections.abc import Iterable

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic  # where it is defined: confluent_kafka.admin re-exports it untyped

from core.errors import OmnistockError


class TopicAdminError(OmnistockError):
    """A topic could not be created (the broker's reason is in the message)."""


def create_topics(
    bootstrap: str,
    names: Iterable[str],
    partitions: int,
    replication_factor: int = 1,
    timeout_s: float = 30.0,
) -> list[str]:
    """Create each missing topic with `partitions` partitions; returns the names it created.

    Idempotent: a topic that exists (even with another partition count) is left as it is.
    """
    admin = AdminClient({"bootstrap.servers": bootstrap})
    wanted = list(dict.fromkeys(names))
    existing = set(admin.list_topics(timeout=timeout_s).topics)
    missing = [name for name in wanted if name not in existing]
    if not missing:
        return []
    futures = admin.create_topics(
        [
            NewTopic(name, num_partitions=partitions, replication_factor=replication_factor)
            for name in missing
        ],
        request_timeout=timeout_s,
    )
    created = []
    for name, future in futures.items():
        try:
            future.result(timeout=timeout_s)
        except KafkaException as error:
            if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise TopicAdminError(
                    f"cannot create topic {name!r}: {error.args[0].str()}", topic=name
                ) from None
            continue
        created.append(name)
    return created

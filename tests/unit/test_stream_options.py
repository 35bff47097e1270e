"""The streams' options carry the settings of the same names."""

from omnistock.settings import Settings
from omnistock.stream_options import worker_options


def test_worker_options_carry_the_settings_of_their_names():
    settings = Settings(
        broker="b:9092", group_id="g", batch_max_events=7, shutdown_timeout_s=2.5, fetch_wait_max_ms=9
    )
    options = worker_options(settings)
    assert (options.kafka.broker, options.kafka.group_id, options.kafka.fetch_wait_max_ms) == (
        "b:9092",
        "g",
        9,
    )
    assert (options.batch_max_events, options.shutdown_timeout_s) == (7, 2.5)
    assert options.topic_prefix == settings.topic_prefix

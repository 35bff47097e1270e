"""Topic catalog, Avro schemas, codecs (Confluent wire format, JSON fallback) and record <-> core mappers."""

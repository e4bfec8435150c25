"""The MQTT ingester: orchard sensor readings into storage and daily summaries."""

"""MQTT ingester and sensor simulator: orchard readings into the trace store."""

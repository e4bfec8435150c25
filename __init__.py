"""appletrace: traceability for orchard produce, from sensor to scan."""

__version__ = "0.1.0"

"""Packing-house labels: serials, QR codes, PDF sheets and ZPL."""

"""Packing-house labels: QR codes, label templates, PDF sheets and ZPL."""

"""QR labels for packing houses: serials, templates, PDF sheets, ZPL."""

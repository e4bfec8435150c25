"""The core: domain model, storage, provenance arithmetic and identifiers."""

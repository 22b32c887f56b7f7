"""Annotations and review decisions: model, backends, store, exchange, corrections, access."""

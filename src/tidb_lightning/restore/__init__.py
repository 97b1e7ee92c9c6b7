"""Orchestration: schema, then tables (chunks in parallel), then the summary."""

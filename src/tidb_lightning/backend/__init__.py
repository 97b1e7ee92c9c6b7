"""Backends: where encoded rows go.  Only the logical `tidb` backend exists so far."""

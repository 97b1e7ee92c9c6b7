"""Encoders: parsed source values -> what the backend sends."""

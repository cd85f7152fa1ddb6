"""Captions store: SQLModel schema, persistence, search and exports.

The durable store arrives with the captions-store issue; until then captions
live only in memory for the length of a session (see ``service.sessions``).
"""

"""Shared state, in this process or in Redis: its health and the per-invoice write locks."""

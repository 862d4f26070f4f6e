"""Kitchen IDs: a type prefix (`in_`, `invi_`, `invti_`, `u_`, `bp_`) and 24 lowercase hex."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(12)

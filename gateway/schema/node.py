"""Node: every object with a global ID that can be looked up again by that ID alone."""

from __future__ import annotations

import strawberry


@strawberry.interface(
    description="An object with a readable global ID, `<vendor>:<type>:<native id>`, that "
    "Query.node can fetch again."
)
class Node:
    id: strawberry.ID

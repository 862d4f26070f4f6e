"""The HTTP edge: the GraphQL view, request IDs, security, limits, idempotency, APQ, serving."""

"""Operations: metrics, logs, tracing and readiness."""

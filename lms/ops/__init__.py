"""Operations: the figures /metrics shows a monitor (Prometheus)."""

"""The status port (`lightning.status-addr`): progress API and Prometheus metrics, at the side
of an import."""

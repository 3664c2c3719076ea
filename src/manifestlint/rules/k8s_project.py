"""Cross-object Kubernetes rules (availability, isolation, wiring) over the project index."""

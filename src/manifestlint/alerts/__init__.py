"""Alert semantics: what an alerting rule watches (category, threshold) and the project policy."""

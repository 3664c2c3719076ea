"""Parse failures are found by the engine, not by rule functions; their metadata lives in
rules/syntax.yaml (see registry.ENGINE_RULES)."""

"""Parse failures are found by the engine, not by rule functions; their metadata lives in
rules/*.yaml beside the other rules of each domain (see registry.ENGINE_RULES)."""

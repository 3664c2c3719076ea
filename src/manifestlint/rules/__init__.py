"""Rule packs. Each module registers pure check functions with `@rule(id, scope)`;
their metadata lives in the top-level `rules/<pack>.yaml`."""

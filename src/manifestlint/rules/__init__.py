"""Rules, by domain and topic: `rules/<domain>/<topic>.py` registers pure check functions
with `@rule(id, scope)`, and their metadata lives in the top-level `rules/<domain>/<topic>.yaml`
(same name). Domains: docker, kubernetes, istio, prometheus, alertmanager; `schema.py` and
`syntax.py` hold the schema rules and the syntax errors the engine reports. A domain package
also holds the helpers its topics share (modules without a metadata file of the same name).
See docs/architecture.md."""

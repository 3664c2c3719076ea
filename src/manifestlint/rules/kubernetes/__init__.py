"""Kubernetes rules, one module per topic, and the helpers they share.

Helpers (no rules): `objects` (pod templates, containers, names, selectors, quantities),
`containers` (what per-object rules read of a container), `pods` (the project-wide view of
which pods each object selects), `netpol` (NetworkPolicy, Calico and Cilium ingress
isolation), `singleton` (workloads that run one replica by design).

Per-object rules (`@rule(id, "kubernetes", kinds=...)`) read the pod template through
`objects.pod_template`, so Pod, the controllers, CronJob (`jobTemplate.spec.template`) and
PodTemplate are covered alike. Cross-object rules (`"project"` scope) see every object of
the bundle through the index: a PDB, NetworkPolicy or Service in another file counts.
"""

"""`manifestlint checklist`: the production-readiness checklist with a verdict per item.

- `items.py`         reads a Markdown checklist (`- [x] item` or `1. [x] item` lines under
                     headings) and matches a team's item texts to the known ones;
- `evidence.py`      what positive evidence is (`Evidence`, the project view, the objects the
                     mapped rules checked); `evidence_mesh.py` Kubernetes and Istio objects by
                     their effect; `evidence_ops.py` alerts, SLOs, Alertmanager, CI, secrets;
- `verdict.py`       joins rule findings (through each rule's `checklist:` metadata, the one
                     mapping between items and rules) and evidence into one of five statuses;
- `render.py`        Markdown that fits where it is posted (compact or `--full`), text, JSON.
"""

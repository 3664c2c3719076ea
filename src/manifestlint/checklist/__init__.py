"""`manifestlint checklist`: the production-readiness checklist with a verdict per item.

- `items.py`    reads a Markdown checklist (`- [x] item` lines under headings) and matches
                a team's item texts to the known ones;
- `evidence.py` positive evidence for items that ask for *presence* (an HPA per scalable
                workload, a STRICT PeerAuthentication, alerts per category meeting policy);
- `verdict.py`  joins rule findings (through each rule's `checklist:` metadata, the one
                mapping between items and rules) and evidence into a status per item;
- `render.py`   Markdown, text and JSON.
"""

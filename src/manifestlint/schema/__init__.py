"""Offline schema validation: compact per-kind field tables walked together with YMap / YList."""

"""Where the developer scripts find the shared real-world corpus (no machine paths)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def corpus_dir(explicit: str | None = None) -> Path | None:
    """`explicit`, else `$MANIFESTLINT_CORPUS` when set, else `<repo>/../shared/corpus`."""
    raw = explicit or os.environ.get("MANIFESTLINT_CORPUS")
    candidate = Path(raw) if raw else REPO.parent / "shared" / "corpus"
    return candidate if candidate.is_dir() else None

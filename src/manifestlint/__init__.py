"""manifestlint: a static, offline production-readiness linter for deployment configuration."""

__version__ = "0.1.0"

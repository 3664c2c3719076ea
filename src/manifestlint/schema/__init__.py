"""Offline schema validation: compact per-kind field tables walked together with YMap / YList."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from manifestlint.config import Config
    from manifestlint.load import ParsedFile
    from manifestlint.project.roots import Realms
    from manifestlint.registry import Rule


def prepare(rules: list[Rule], parsed: list[ParsedFile], realms: Realms, config: Config) -> None:
    """Before every other rule: validate the named Kubernetes objects (their schema-* findings
    kept on each document) and correct misspelt fields in the model, so the other rules read
    objects, Alertmanager configs and rule files as their authors meant them. The checks are
    imported only when a schema rule or an *-invalid-field rule runs."""
    schema_ids = {r.id for r in rules if r.id.startswith("schema-")}
    if schema_ids:
        from manifestlint.schema.check import prepare as prepare_objects

        correct = "schema-unknown-field" in schema_ids
        for realm, index in realms.indexes.items():
            if index.objects:  # a realm's CRDs validate that realm's custom resources
                # kustomize patches are fragments: per-object rules skip them (runner.lint_file)
                whole = [pf for pf in parsed if realms.of(pf) == realm and pf.role is None]
                reported = (doc for pf in whole for doc in pf.docs)
                prepare_objects(reported, index.objects, config.kubernetes_version, correct)
    config_ids = {r.id for r in rules} & {"alertmanager-invalid-field", "prometheus-invalid-field"}
    if config_ids:
        from manifestlint.schema.check import prepare_configs

        prepare_configs((doc for pf in parsed for doc in pf.docs), config_ids)

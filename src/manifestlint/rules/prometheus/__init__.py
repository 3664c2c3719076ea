"""Prometheus alerting-rule rules, one module per topic. Ids starting with
prometheus-invalid- mean exactly "Prometheus would refuse to load this rule file".
"""

"""Alertmanager rules, one module per topic. Ids starting with alertmanager-invalid- mean
exactly "Alertmanager would refuse to load this".
"""

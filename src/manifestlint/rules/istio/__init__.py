"""Istio rules, one module per topic: per-object checks of Istio resources and
cross-object checks over the bundle (mTLS posture, selectors, hosts, gateways and subsets).
"""

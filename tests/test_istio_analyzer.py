"""Side by side with `istioctl analyze`: its labelled testdata, our overlapping rules.

The corpus holds istio/istio's analyzer test inputs and, in EXPECTED.tsv, the messages each
analyzer must report ("Type@Kind [ns/]name"). For the message types one of our rules
covers, we run that rule on the same inputs and compare the flagged objects. Where we
differ on purpose the case asserts our behaviour (DIFFERENCES says why); where we cannot
follow Istio the case is a strict xfail.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import corpus_dir

from manifestlint.config import Config, RuleSetting
from manifestlint.engine import lint

ANALYZERS = Path("istio-analyzer-testdata/pkg/config/analysis/analyzers")

# (analyzer, message type) -> our rule
RULE_FOR = {
    ("virtualservice.GatewayAnalyzer", "ReferencedResourceNotFound"): "istio-vs-unknown-gateway",
    ("virtualservice.GatewayAnalyzer", "ReferencedInternalGateway"): "istio-vs-unknown-gateway",
    ("virtualservice.GatewayAnalyzer", "VirtualServiceHostNotFoundInGateway"): "istio-vs-host-not-in-gateway",
    ("virtualservice.DestinationRuleAnalyzer", "ReferencedResourceNotFound"): "istio-vs-unknown-subset",
    ("virtualservice.DestinationHostAnalyzer", "ReferencedResourceNotFound"): "istio-vs-unknown-host",
    (
        "virtualservice.ConflictingMeshGatewayHostsAnalyzer",
        "ConflictingMeshGatewayVirtualServiceHosts",
    ): "istio-vs-conflicting",
    (
        "authz.AuthorizationPoliciesAnalyzer",
        "NoMatchingWorkloadsFound",
    ): "istio-authz-selector-matches-nothing",
    (
        "destinationrule.CaCertificateAnalyzer",
        "NoServerCertificateVerificationDestinationLevel",
    ): "istio-dr-tls-no-server-verification",
    (
        "destinationrule.CaCertificateAnalyzer",
        "NoServerCertificateVerificationPortLevel",
    ): "istio-dr-tls-no-server-verification",
    (
        "destinationrule.PodNotSelectedAnalyzer",
        "DestinationRuleSubsetNotSelectPods",
    ): "istio-dr-subset-no-pods",
    (
        "gateway.IngressGatewayPortAnalyzer",
        "ReferencedResourceNotFound",
    ): "istio-gateway-selector-matches-nothing",
    ("annotations.K8sAnalyzer", "UnknownAnnotation"): "istio-unknown-annotation",
    ("annotations.K8sAnalyzer", "MisplacedAnnotation"): "istio-misplaced-annotation",
    ("annotations.K8sAnalyzer", "DeprecatedAnnotation"): "istio-deprecated-annotation",
    ("annotations.K8sAnalyzer", "InvalidAnnotation"): "istio-invalid-annotation-value",
    ("maturity.AlphaAnalyzer", "AlphaAnnotation"): "istio-alpha-annotation",
    ("sidecar.SelectorAnalyzer", "ReferencedResourceNotFound"): "istio-selector-matches-nothing",
    ("telemetry.SelectorAnalyzer", "ReferencedResourceNotFound"): "istio-selector-matches-nothing",
    **{
        (analyzer, kind): "istio-conflicting-workload-config"
        for analyzer, kind in (
            ("sidecar.SelectorAnalyzer", "ConflictingSidecarWorkloadSelectors"),
            ("sidecar.SelectorAnalyzer", "MultipleSidecarsWithoutWorkloadSelectors"),
            ("telemetry.SelectorAnalyzer", "ConflictingTelemetryWorkloadSelectors"),
        )
    },
    (
        "telemetry.DefaultSelectorAnalyzer",
        "MultipleTelemetriesWithoutWorkloadSelectors",
    ): "istio-conflicting-workload-config",
    ("telemetry.ProviderAnalyzer", "InvalidTelemetryProvider"): "istio-telemetry-empty-providers",
    ("k8sgateway.SelectorAnalyzer", "IneffectiveSelector"): "istio-selector-on-k8s-gateway",
    ("sidecar.SelectorAnalyzer", "IneffectivePolicy"): "istio-sidecar-in-ambient",
    ("gateway.ConflictingGatewayAnalyzer", "ConflictingGateways"): "istio-gateway-conflict",
    ("gateway.CertificateAnalyzer", "GatewayDuplicateCertificate"): "istio-gateway-shared-certificate",
    (
        "gateway.IngressGatewayPortAnalyzer",
        "GatewayPortNotDefinedOnService",
    ): "istio-gateway-port-not-exposed",
    ("gateway.SecretAnalyzer", "ReferencedResourceNotFound"): "istio-gateway-credential",
    ("gateway.SecretAnalyzer", "InvalidGatewayCredential"): "istio-gateway-credential",
    ("injection.Analyzer", "NamespaceMultipleInjectionLabels"): "istio-namespace-injection-labels",
    ("injection.Analyzer", "NamespaceNotInjected"): "istio-namespace-not-injected",
    ("injection.ImageAutoAnalyzer", "ImageAutoWithoutInjectionWarning"): "istio-image-auto-without-injection",
    ("injection.ImageAutoAnalyzer", "ImageAutoWithoutInjectionError"): "istio-image-auto-without-injection",
    ("deployment.ApplicationUIDAnalyzer", "InvalidApplicationUID"): "istio-app-uid-1337",
    ("service.PortNameAnalyzer", "PortNameIsNotUnderNamingConvention"): "istio-service-port-name",
    ("service.PortNameAnalyzer", "ExternalNameServiceTypeInvalidPortName"): "istio-service-port-name",
    (
        "deployment.ServiceAssociationAnalyzer",
        "DeploymentAssociatedToMultipleServices",
    ): "istio-workload-service-conflict",
    (
        "deployment.ServiceAssociationAnalyzer",
        "DeploymentConflictingPorts",
    ): "istio-workload-service-conflict",
    (
        "serviceentry.ProtocolAddressesAnalyzer",
        "ServiceEntryAddressesRequired",
    ): "istio-serviceentry-tcp-without-addresses",
    (
        "serviceentry.ConflictingServiceEntryProtocolAnalyzer",
        "ConflictingServiceEntryProtocol",
    ): "istio-serviceentry-protocol-conflict",
    (
        "schemaValidation.CollectionValidationAnalyzer",
        "VirtualServiceUnreachableRule",
    ): "istio-vs-unreachable-route",
    (
        "schemaValidation.CollectionValidationAnalyzer",
        "VirtualServiceIneffectiveMatch",
    ): "istio-vs-unreachable-route",
    (
        "virtualservice.DestinationHostAnalyzer",
        "VirtualServiceDestinationPortSelectorRequired",
    ): "istio-vs-destination-port-missing",
    (
        "virtualservice.DestinationHostAnalyzer",
        "IngressRouteRulesNotAffected",
    ): "istio-vs-gateway-route-skips-subsets",
    (
        "virtualservice.JWTClaimRouteAnalyzer",
        "JwtClaimBasedRoutingWithoutRequestAuthN",
    ): "istio-vs-jwt-claim-without-requestauthn",
    ("deprecation.FieldAnalyzer", "Deprecated"): "istio-deprecated-field",
    ("destinationrule.PodNotSelectedAnalyzer", "UnknownDestinationRuleHost"): "istio-dr-unknown-host",
    ("authz.AuthorizationPoliciesAnalyzer", "ReferencedResourceNotFound"): "istio-authz-unknown-namespace",
    **{
        ("envoyfilter.EnvoyPatchAnalyzer", f"EnvoyFilterUses{kind}"): "istio-envoyfilter-patch"
        for kind in (
            "RelativeOperation",
            "RelativeOperationWithProxyVersion",
            "ReplaceOperationIncorrectly",
            "AddOperationIncorrectly",
            "RemoveOperationIncorrectly",
        )
    },
}

# (test, rule) -> (objects we flag instead of Istio's set, why)
DIFFERENCES = {
    ("gatewayNoWorkload", "istio-gateway-selector-matches-nothing"): (
        set(),
        "the file defines no gateway workload at all; Istio compares against live pods, we stay "
        "silent because the gateway deployment normally comes from the Istio installation",
    ),
    ("virtualServiceDestinationHosts", "istio-vs-unknown-host"): (
        {"VirtualService default/reviews-bogushost", "VirtualService default/reviews-mirror-bogushost"},
        "we judge only in-mesh hosts of namespaces whose Services the project defines: external "
        "hosts (other.bookinfo.com), ports (IST0101 for port 999), exportTo validity and the root "
        "namespace (istio-system, whose Services come from the installation) are not judged",
    ),
    ("virtualServiceGateways", "istio-vs-host-not-in-gateway"): (
        {"VirtualService httpbin", "VirtualService default/cross-test"},
        "for a Gateway that does not exist (httpbin-bogus) we report istio-vs-unknown-gateway only",
    ),
    ("authorizationpolicies", "istio-authz-selector-matches-nothing"): (
        {
            "AuthorizationPolicy istio-system/meshwide-httpbin-v1",
            "AuthorizationPolicy httpbin/httpbin-nopods",
            "AuthorizationPolicy test-ambient/no-workload",
        },
        "a namespace-wide policy in a namespace without workloads in the project "
        "(httpbin-empty) is not judged: its workloads may be deployed from elsewhere",
    ),
    ("DestinationRuleSubsetsNotSelectPods", "istio-dr-subset-no-pods"): (
        set(),
        "no workload behind the Service is in the input (Istio reads live pods): not judged",
    ),
    ("DestinationRuleEmptyTopologyLabels", "istio-dr-subset-no-pods"): (
        set(),
        "no workload behind the Service is in the input (Istio reads live pods): not judged",
    ),
}

DIFFERENCES[("misannoted", "istio-unknown-annotation")] = (
    {"Service httpbin", "Ingress gateway"},
    "istioctl reads annotations of Namespaces, Services, Pods and Deployments only; the Ingress's "
    "istio.io/ingress.class (not in the catalogue: kubernetes.io/ingress.class is meant) is reported too",
)

DIFFERENCES.update(
    {
        ("gatewayBadPort", "istio-gateway-port-not-exposed"): (
            set(),
            "the input holds no gateway workload nor its Service (Istio's test supplies its default "
            "ingress gateway): we judge ports only against a Service the project defines",
        ),
        ("gatewaySecret", "istio-gateway-credential"): (
            {"Gateway defaultgateway-bogusCredentialName"},
            "istioctl's two others are its 'selector matches no pod' message (the same message type); "
            "we do not judge credentials of a gateway whose workload namespace is unknown",
        ),
        ("portNameNotFollowConvention", "istio-service-port-name"): (
            set(),
            "port names are judged only in projects that configure Istio (an istio.io object or a "
            "namespace labelled for injection); this input has plain Services only",
        ),
        ("ExternalNameServiceTypeInvalidPortName", "istio-service-port-name"): (
            set(),
            "port names are judged only in projects that configure Istio; this input has plain Services only",
        ),
        (
            "missing Addresses and Protocol in Service Entry with ISTIO_META_DNS_AUTO_ALLOCATE enabled",
            "istio-serviceentry-tcp-without-addresses",
        ): (
            {
                "ServiceEntry default/service-entry-test-03",
                "ServiceEntry default/service-entry-test-04",
                "ServiceEntry default/service-entry-test-07",
            },
            "the mesh config enabling DNS auto-allocation is given to istioctl on its command line; we "
            "read mesh config from the project's files only",
        ),
        ("DestinationRuleWithFakeHost", "istio-dr-unknown-host"): (
            set(),
            "the input defines no Service at all: we judge hosts only in namespaces whose Services the "
            "project defines (they may come from another repository)",
        ),
        ("certificate duplication in Gateway", "istio-gateway-shared-certificate"): (
            {
                "Gateway istio-system/gateway-01-test-01",
                "Gateway istio-system/gateway-02-test-01",
                "Gateway istio-system/gateway-01-test-02",
                "Gateway istio-system/gateway-02-test-02",
                "Gateway default/gateway-01-test-03",
                "Gateway istio-system/gateway-02-test-03",
            },
            "we report both Gateways of a pair sharing a workload; istioctl only the one whose selector "
            "is the subset (the pod internal-ingressgateway is selected by both)",
        ),
    }
)

# Cases we do not support yet: strict xfails, so support turns them into failures to clean up.
UNSUPPORTED = {
    ("virtualServiceKubernetesGateways", "istio-vs-host-not-in-gateway"): (
        "Gateway API Gateways (listeners[].hostname) are not matched against VirtualService hosts"
    ),
}


def _cases() -> list:
    root = corpus_dir()
    table = root / ANALYZERS.parts[0] / "EXPECTED.tsv" if root else None
    if table is None or not table.exists():
        why = "istio analyzer testdata not present (../shared/corpus or $MANIFESTLINT_CORPUS)"
        skip = pytest.mark.skip(reason=why)
        return [pytest.param(None, None, None, None, marks=skip)]
    out = []
    with table.open(encoding="utf-8") as handle:
        rows = [r for r in csv.reader(handle, delimiter="\t") if r and not r[0].startswith("#")][1:]
    for row in rows:
        test, files, analyzer = row[0], row[1], row[4]
        messages = [m.strip() for m in row[6].split("||") if m.strip()] if len(row) > 6 else []
        for rule_id in sorted({r for (a, _), r in RULE_FOR.items() if a == analyzer}):
            types = {t for (a, t), r in RULE_FOR.items() if a == analyzer and r == rule_id}
            expected = {m.split("@", 1)[1] for m in messages if m.split("@", 1)[0] in types}
            reason = UNSUPPORTED.get((test, rule_id))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            out.append(pytest.param(test, files, rule_id, expected, id=f"{test}:{rule_id}", marks=marks))
    return out


def _flagged(corpus: Path, files: str, rule_id: str, registry) -> set[str]:
    base = corpus / ANALYZERS
    config = Config()
    config.force_include = True  # istio's analyzer cases live in testdata/: named on purpose
    config.rules[rule_id] = RuleSetting(enabled=True)
    paths = [str(base / f) for f in files.split(",")]
    result = lint(paths, registry, config, base, use_context=False)
    assert not [f for f in result.findings if f.rule == "manifestlint-internal-error"]
    return {f.obj for f in result.findings if f.rule == rule_id}


@pytest.mark.parametrize(("test", "files", "rule_id", "expected"), _cases())
def test_same_objects_as_istioctl(test, files, rule_id, expected, corpus, registry) -> None:
    flagged = _flagged(corpus, files, rule_id, registry)
    if (test, rule_id) in DIFFERENCES:
        ours, why = DIFFERENCES[test, rule_id]
        assert flagged != expected, f"now agrees with istioctl; drop the DIFFERENCES entry ({why})"
        assert flagged == ours, why
    else:
        assert flagged == expected


def test_agreement_summary(corpus, registry) -> None:
    """Most shared cases agree exactly; the rest are the documented differences."""
    cases = [p.values for p in _cases() if len(p.values) == 4]
    agree = sum(_flagged(corpus, files, rule, registry) == exp for test, files, rule, exp in cases)
    assert len(cases) - agree == len(DIFFERENCES) + len(UNSUPPORTED)
    assert agree >= 30

"""Deterministic multi-document Kubernetes YAML for the speed benchmark.

Why a generator and not a corpus file: the C-speed floor must be measured on the same bytes on
every machine and every commit, and the corpus has no single large file. The mix (Deployments,
Services, ConfigMaps, with some probes, limits and securityContexts missing) is what a real
`kubectl get -o yaml` dump or a Helm render looks like, so the rules do real work and produce
findings. 2,000 documents come to about 900 KB.

    python scripts/gen_k8s_docs.py [--docs 2000] [--seed 1] OUT.yaml
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

IMAGES = [
    "nginx:1.27.1",
    "redis:7.2",
    "ghcr.io/acme/api:v3.4.1",
    "postgres:16",
    "busybox",
    "python:3.12-slim",
]
TEAMS = ["payments", "search", "platform", "checkout", "identity", "ml"]


def deployment(i: int, rnd: random.Random) -> str:
    """A Deployment with 1-2 containers; probes, limits and securityContext vary per seed."""
    name = f"svc-{i:04d}"
    ns = rnd.choice(TEAMS)
    lines = [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        f"  name: {name}",
        f"  namespace: {ns}",
        "  labels:",
        f"    app.kubernetes.io/name: {name}",
        f"    app.kubernetes.io/part-of: {ns}",
        "  annotations:",
        f'    deployment.kubernetes.io/revision: "{rnd.randint(1, 40)}"',
        "spec:",
        f"  replicas: {rnd.randint(1, 6)}",
        "  selector:",
        "    matchLabels:",
        f"      app.kubernetes.io/name: {name}",
        "  template:",
        "    metadata:",
        "      labels:",
        f"        app.kubernetes.io/name: {name}",
        "    spec:",
        f"      serviceAccountName: {name}",
    ]
    if rnd.random() < 0.6:
        lines += [
            "      securityContext:",
            "        runAsNonRoot: true",
            f"        runAsUser: {rnd.randint(1000, 65000)}",
        ]
    lines.append("      containers:")
    for c in range(rnd.choice((1, 1, 1, 2))):
        port = rnd.choice((8080, 8443, 9090, 3000))
        lines += [
            f"        - name: {'app' if c == 0 else 'sidecar'}",
            f"          image: {rnd.choice(IMAGES)}",
            "          imagePullPolicy: IfNotPresent",
            "          ports:",
            f"            - containerPort: {port}",
            "              name: http",
            "              protocol: TCP",
            "          env:",
            "            - name: LOG_LEVEL",
            f"              value: {rnd.choice(('info', 'debug', 'warn'))}",
        ]
        if rnd.random() < 0.7:
            lines += [
                "          resources:",
                "            requests:",
                f"              cpu: {rnd.choice(('50m', '100m', '250m'))}",
                f"              memory: {rnd.choice(('64Mi', '128Mi', '256Mi'))}",
            ]
            if rnd.random() < 0.7:
                lines += ["            limits:", "              cpu: 500m", "              memory: 512Mi"]
        if rnd.random() < 0.75:
            lines += [
                "          readinessProbe:",
                "            httpGet:",
                "              path: /healthz",
                f"              port: {port}",
                "            periodSeconds: 10",
            ]
        if rnd.random() < 0.6:
            lines += [
                "          livenessProbe:",
                "            tcpSocket:",
                f"              port: {port}",
                "            initialDelaySeconds: 15",
            ]
        if rnd.random() < 0.5:
            lines += [
                "          securityContext:",
                "            allowPrivilegeEscalation: false",
                "            readOnlyRootFilesystem: true",
                "            capabilities:",
                "              drop: [ALL]",
            ]
    return "\n".join(lines)


def service(i: int, rnd: random.Random) -> str:
    """A ClusterIP Service in front of deployment `i`."""
    name = f"svc-{i:04d}"
    return "\n".join(
        [
            "apiVersion: v1",
            "kind: Service",
            "metadata:",
            f"  name: {name}",
            f"  namespace: {rnd.choice(TEAMS)}",
            "  labels:",
            f"    app.kubernetes.io/name: {name}",
            "spec:",
            "  type: ClusterIP",
            "  selector:",
            f"    app.kubernetes.io/name: {name}",
            "  ports:",
            "    - name: http",
            "      port: 80",
            f"      targetPort: {rnd.choice((8080, 8443, 9090, 3000))}",
            "      protocol: TCP",
        ]
    )


def configmap(i: int, rnd: random.Random) -> str:
    """A ConfigMap with a few plain keys and one block scalar."""
    name = f"cfg-{i:04d}"
    return "\n".join(
        [
            "apiVersion: v1",
            "kind: ConfigMap",
            "metadata:",
            f"  name: {name}",
            f"  namespace: {rnd.choice(TEAMS)}",
            "data:",
            f'  FEATURE_FLAGS: "{rnd.choice(("a,b", "b,c", "none"))}"',
            f'  MAX_CONNECTIONS: "{rnd.randint(10, 500)}"',
            "  app.properties: |",
            f"    server.port={rnd.choice((8080, 9090))}",
            "    cache.enabled=true",
            f"    cache.ttl={rnd.randint(30, 900)}s",
        ]
    )


def generate(docs: int = 2000, seed: int = 1) -> str:
    """`docs` documents separated by `---`, roughly 20% Deployments, 40% Services, 40% ConfigMaps."""
    rnd = random.Random(seed)
    out = []
    for i in range(docs):
        r = rnd.random()
        if r < 0.2:
            out.append(deployment(i, rnd))
        elif r < 0.6:
            out.append(service(i, rnd))
        else:
            out.append(configmap(i, rnd))
    return "---\n" + "\n---\n".join(out) + "\n"


NAMESPACES = [f"team-{n:02d}" for n in range(40)]


def _app_deployment(app: str, part: str, ns: str, rnd: random.Random, suppress: bool) -> str:
    """A Deployment with readiness and liveness probes, resources and a securityContext: what a
    maintained app ships. `suppress` adds a `# manifestlint: disable=` comment, as real repos do."""
    name = f"{app}-{part}"
    port = rnd.choice((8080, 8443, 9090, 3000))
    lines = [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        f"  name: {name}",
        f"  namespace: {ns}",
        "  labels:",
        f"    app.kubernetes.io/name: {app}",
        f"    app.kubernetes.io/component: {part}",
        "spec:",
        f"  replicas: {rnd.randint(2, 4)}",
        "  selector:",
        "    matchLabels:",
        f"      app.kubernetes.io/name: {app}",
        f"      app.kubernetes.io/component: {part}",
        "  template:",
        "    metadata:",
        "      labels:",
        f"        app.kubernetes.io/name: {app}",
        f"        app.kubernetes.io/component: {part}",
        "    spec:",
        f"      serviceAccountName: {app}",
        "      securityContext:",
        "        runAsNonRoot: true",
        f"        runAsUser: {rnd.randint(1000, 65000)}",
        "      containers:",
    ]
    if suppress:
        lines.append("        # manifestlint: disable=k8s-seccomp-profile-missing")
    lines += [
        f"        - name: {part}",
        f"          image: ghcr.io/acme/{app}-{part}:v{rnd.randint(1, 9)}.{rnd.randint(0, 30)}.0",
        "          ports:",
        f"            - containerPort: {port}",
        "              name: http",
        "          env:",
        "            - name: LOG_LEVEL",
        f"              value: {rnd.choice(('info', 'debug', 'warn'))}",
        "          resources:",
        "            requests:",
        f"              cpu: {rnd.choice(('50m', '100m', '250m'))}",
        f"              memory: {rnd.choice(('64Mi', '128Mi', '256Mi'))}",
        "            limits:",
        "              cpu: 500m",
        "              memory: 512Mi",
        "          readinessProbe:",
        "            httpGet:",
        "              path: /healthz",
        "              port: http",
        "            periodSeconds: 10",
        "          livenessProbe:",
        "            tcpSocket:",
        "              port: http",
        "            initialDelaySeconds: 15",
        "          securityContext:",
        "            allowPrivilegeEscalation: false",
        "            readOnlyRootFilesystem: true",
        "            capabilities:",
        "              drop: [ALL]",
    ]
    return "\n".join(lines)


def app_bundle(i: int, rnd: random.Random, ns: str | None = None) -> str:
    """One app's manifests, 10 documents: two Deployments (api, worker) with probes, a Service,
    a PodDisruptionBudget and a HorizontalPodAutoscaler per Deployment, two NetworkPolicies
    (default deny, allow to the api) and a ConfigMap; about one app in four carries a
    `# manifestlint: disable=` comment. What the cross-file rules (PDB, HPA target, network
    policy, Service selector) match against each other in a real repository."""
    app = f"app-{i:05d}"
    ns = ns or NAMESPACES[i % len(NAMESPACES)]
    docs = [
        _app_deployment(app, part, ns, rnd, suppress=(part == "api" and i % 4 == 0))
        for part in ("api", "worker")
    ]
    docs.append(
        "\n".join(
            [
                "apiVersion: v1",
                "kind: Service",
                "metadata:",
                f"  name: {app}",
                f"  namespace: {ns}",
                "spec:",
                "  selector:",
                f"    app.kubernetes.io/name: {app}",
                "    app.kubernetes.io/component: api",
                "  ports:",
                "    - name: http",
                "      port: 80",
                "      targetPort: http",
            ]
        )
    )
    for part in ("api", "worker"):
        docs.append(
            "\n".join(
                [
                    "apiVersion: policy/v1",
                    "kind: PodDisruptionBudget",
                    "metadata:",
                    f"  name: {app}-{part}",
                    f"  namespace: {ns}",
                    "spec:",
                    "  maxUnavailable: 1",
                    "  selector:",
                    "    matchLabels:",
                    f"      app.kubernetes.io/name: {app}",
                    f"      app.kubernetes.io/component: {part}",
                ]
            )
        )
    for part in ("api", "worker"):
        docs.append(
            "\n".join(
                [
                    "apiVersion: autoscaling/v2",
                    "kind: HorizontalPodAutoscaler",
                    "metadata:",
                    f"  name: {app}-{part}",
                    f"  namespace: {ns}",
                    "spec:",
                    "  scaleTargetRef:",
                    "    apiVersion: apps/v1",
                    "    kind: Deployment",
                    f"    name: {app}-{part}",
                    f"  minReplicas: {rnd.randint(2, 3)}",
                    f"  maxReplicas: {rnd.randint(4, 12)}",
                    "  metrics:",
                    "    - type: Resource",
                    "      resource:",
                    "        name: cpu",
                    "        target:",
                    "          type: Utilization",
                    "          averageUtilization: 70",
                ]
            )
        )
    docs.append(
        "\n".join(
            [
                "apiVersion: networking.k8s.io/v1",
                "kind: NetworkPolicy",
                "metadata:",
                f"  name: {app}-default-deny",
                f"  namespace: {ns}",
                "spec:",
                "  podSelector:",
                "    matchLabels:",
                f"      app.kubernetes.io/name: {app}",
                "  policyTypes: [Ingress]",
            ]
        )
    )
    docs.append(
        "\n".join(
            [
                "apiVersion: networking.k8s.io/v1",
                "kind: NetworkPolicy",
                "metadata:",
                f"  name: {app}-allow-api",
                f"  namespace: {ns}",
                "spec:",
                "  podSelector:",
                "    matchLabels:",
                f"      app.kubernetes.io/name: {app}",
                "      app.kubernetes.io/component: api",
                "  policyTypes: [Ingress]",
                "  ingress:",
                "    - ports:",
                "        - port: http",
            ]
        )
    )
    docs.append(configmap(i, rnd).replace("namespace: ", f"namespace: {ns}  # ", 1))
    return "---\n" + "\n---\n".join(docs) + "\n"


def realistic(docs: int = 2000, seed: int = 1) -> str:
    """`docs` documents (a multiple of 10) of app bundles in one stream: the realistic mix."""
    rnd = random.Random(seed)
    return "".join(app_bundle(i, rnd) for i in range(max(1, docs // 10)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    text = generate(args.docs, args.seed)
    args.out.write_text(text, encoding="utf-8")
    print(f"{args.out}: {args.docs} documents, {len(text.encode()):,} bytes")


if __name__ == "__main__":
    main()

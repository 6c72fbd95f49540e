"""The Kubernetes base, checked offline: rendered from its kustomization.yaml without kustomize, then held
to what an operator would trip over first (probes, privileges, credentials, routes, operator schemas)."""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import pytest
import yaml

from pacs_devstack.stack import SERVICES
from pacs_kit.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "k8s" / "base"
NGINX_TEMPLATE = ROOT / "deploy" / "gateway" / "nginx.conf.template"
DOCKERFILE = ROOT / "Dockerfile"
CRDS = ROOT.parent / "shared" / "k8s-crds"

Manifest = dict[str, Any]

# What the renderer below applies; anything else in a kustomization would be silently ignored here.
RENDERED_FIELDS = {"apiVersion", "kind", "namespace", "resources"}
CLUSTER_SCOPED = {"Namespace"}
BUILT_IN_APIS = {"v1", "apps/v1", "autoscaling/v2", "policy/v1", "networking.k8s.io/v1"}
CREDENTIALS = ("JWT_SECRET", "AMQP_URL", "MONGODB_URL")
PORT = 8000
UID = 10001


def render(directory: Path) -> list[Manifest]:
    """What `kubectl kustomize` prints for a kustomization made of plain resources and a namespace."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unapplied = set(kustomization) - RENDERED_FIELDS
    assert not unapplied, f"{directory.name}/kustomization.yaml: this test does not apply {sorted(unapplied)}"
    objects: list[Manifest] = []
    for entry in kustomization["resources"]:
        path = directory / entry
        if path.is_dir():
            objects += render(path)
        else:
            objects += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    if namespace := kustomization.get("namespace"):
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = namespace
    return objects


@functools.cache
def rendered() -> tuple[Manifest, ...]:
    return tuple(render(BASE))


def of_kind(kind: str) -> list[Manifest]:
    return [obj for obj in rendered() if obj["kind"] == kind]


def one(kind: str, name: str) -> Manifest:
    found = [obj for obj in of_kind(kind) if obj["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} named {name}, found {len(found)}"
    return found[0]


def pod_spec(service: str) -> Manifest:
    spec: Manifest = one("Deployment", service)["spec"]["template"]["spec"]
    return spec


def container(service: str) -> Manifest:
    (only,) = pod_spec(service)["containers"]
    assert only["name"] == service
    return only


def pod_labels(service: str) -> dict[str, str]:
    labels: dict[str, str] = one("Deployment", service)["spec"]["template"]["metadata"]["labels"]
    return labels


def env(service: str) -> dict[str, Manifest]:
    return {var["name"]: var for var in container(service).get("env", [])}


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A Kubernetes label selector (matchLabels and matchExpressions) applied to a set of labels."""
    if any(labels.get(key) != value for key, value in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, values = expression["key"], expression.get("values", [])
        matched = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[expression["operator"]]
        if not matched:
            return False
    return True


def policies_for(service: str) -> list[Manifest]:
    return [p for p in of_kind("NetworkPolicy") if selects(p["spec"]["podSelector"], pod_labels(service))]


def services_for(service: str) -> list[Manifest]:
    return [s for s in of_kind("Service") if selects({"matchLabels": s["spec"]["selector"]}, pod_labels(service))]


def shared_config() -> dict[str, str]:
    names = {ref["configMapRef"]["name"] for s in SERVICES for ref in container(s).get("envFrom", [])}
    data: dict[str, str] = {}
    for name in sorted(names):
        data |= one("ConfigMap", name)["data"]
    return data


def manifest_settings(service: str) -> ServiceSettings:
    """The service's own settings class reading its ConfigMap and container env, stand-ins for the Secrets."""
    values = dict(shared_config())
    for name, var in env(service).items():
        values[name] = var["value"] if "value" in var else "from-a-secret-" + "x" * 32
    with pytest.MonkeyPatch.context() as patch:
        for name, value in values.items():
            patch.setenv(name, value)
        module = importlib.import_module(f"pacs_{service}.settings")
        settings: ServiceSettings = getattr(module, f"{service.capitalize()}Settings")()
    return settings


def test_the_base_runs_exactly_the_platforms_services_from_one_image() -> None:
    assert {d["metadata"]["name"] for d in of_kind("Deployment")} == set(SERVICES)
    for service in SERVICES:
        assert env(service)["SERVICE"]["value"] == service
        assert container(service)["image"].split(":")[0] == "pacs-service-ops"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_probes_healthz_for_liveness_and_readyz_for_readiness(service: str) -> None:
    c = container(service)
    named_ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"), ("startupProbe", "/healthz")):
        get = c[probe]["httpGet"]
        assert get["path"] == path, f"{service} {probe}"
        assert named_ports.get(get["port"], get["port"]) == PORT, f"{service} {probe} probes another port"
    # /readyz waits up to 3 s for the database before it answers 503.
    assert c["readinessProbe"]["timeoutSeconds"] > 3


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_runs_non_root_with_read_only_root(service: str) -> None:
    pod, c = pod_spec(service), container(service)
    security = {**pod.get("securityContext", {}), **c.get("securityContext", {})}
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == UID
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert security["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod["automountServiceAccountToken"] is False
    scratch = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
    assert any(m["mountPath"] == "/tmp" and m["name"] in scratch for m in c["volumeMounts"])


def test_the_image_runs_as_the_user_and_on_the_port_the_pods_expect() -> None:
    dockerfile = DOCKERFILE.read_text()
    assert re.search(rf"^USER {UID}(:{UID})?$", dockerfile, re.M)
    assert f"--port {PORT}" in dockerfile
    assert "pacs_${SERVICE" in dockerfile and "exec python -m uvicorn --factory" in dockerfile


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_requests_and_limits_cpu_and_memory(service: str) -> None:
    resources = container(service)["resources"]
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(resources[bound]), f"{service} {bound}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_accepts_its_manifest_environment_in_production(service: str) -> None:
    assert pod_spec(service)["enableServiceLinks"] is False, "a Service's injected <NAME>_PORT would shadow settings"
    settings = manifest_settings(service)
    assert settings.environment == "production"
    assert (settings.host, settings.port) == ("0.0.0.0", PORT)
    assert {p["containerPort"] for p in container(service)["ports"] if p["name"] == "http"} == {PORT}


@pytest.mark.parametrize("service", SERVICES)
def test_every_deployment_has_a_service_autoscaler_disruption_budget_and_network_policy(service: str) -> None:
    (svc,) = services_for(service)
    assert svc["metadata"]["name"] == service
    assert [(p["name"], p["port"], p["targetPort"]) for p in svc["spec"]["ports"]] == [("http", 80, "http")]

    (hpa,) = [h for h in of_kind("HorizontalPodAutoscaler") if h["spec"]["scaleTargetRef"]["name"] == service]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    assert hpa["spec"]["minReplicas"] >= 2
    [metric] = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}

    (pdb,) = [p for p in of_kind("PodDisruptionBudget") if selects(p["spec"]["selector"], pod_labels(service))]
    assert pdb["spec"]["minAvailable"] == 1
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"], "the budget would block every node drain"

    types = {t for p in policies_for(service) for t in p["spec"]["policyTypes"]}
    assert types == {"Ingress", "Egress"}, f"{service} is not isolated both ways"


@pytest.mark.parametrize("service", SERVICES)
def test_only_the_gateway_and_prometheus_reach_a_service_and_only_on_its_http_port(service: str) -> None:
    rules = [rule for p in policies_for(service) for rule in p["spec"].get("ingress", [])]
    admitted: set[str] = set()
    for rule in rules:
        assert rule.get("from"), f"{service} admits any source"
        assert [port["port"] for port in rule["ports"]] == ["http"]
        for peer in rule["from"]:
            admitted |= set(peer["namespaceSelector"]["matchLabels"])
    assert admitted == {"pacs-service-ops/gateway", "pacs-service-ops/prometheus"}


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_reaches_only_dns_the_broker_the_database_and_its_own_peers(service: str) -> None:
    ports: set[int] = set()
    for rule in (rule for p in policies_for(service) for rule in p["spec"].get("egress", [])):
        assert rule.get("ports"), f"{service} may reach any port"
        ports |= {port["port"] for port in rule["ports"]}
    own = {"notify": {443}, "monitoring": {104, 4242, 11112}}.get(service, set())  # providers; DICOM nodes
    assert ports == {53, 5672, 27017} | own


def test_credentials_come_from_secret_references_never_inline() -> None:
    assert not of_kind("Secret"), "Secrets are created by the operator of the cluster, never committed"
    for service in SERVICES:
        for name in CREDENTIALS:
            var = env(service)[name]
            assert "value" not in var, f"{service} inlines {name}"
            assert {"name", "key"} <= set(var["valueFrom"]["secretKeyRef"]), f"{service} {name}"
        assert all("configMapRef" in ref for ref in container(service).get("envFrom", []))
    assert not set(CREDENTIALS) & set(shared_config())
    text = "\n".join(path.read_text() for path in BASE.rglob("*.yaml"))
    assert not re.search(r"(amqp|mongodb(\+srv)?)://", text), "a connection URL is written into the base"


def test_every_database_user_takes_its_password_from_a_secret_and_owns_its_services_database() -> None:
    (mongo,) = of_kind("MongoDBCommunity")
    assert mongo["spec"]["members"] == 3
    assert re.fullmatch(r"\d+\.\d+\.\d+", mongo["spec"]["version"])
    users = {u["connectionStringSecretName"]: u for u in mongo["spec"]["users"]}
    assert all(u["passwordSecretRef"]["name"] for u in users.values())
    for service in SERVICES:
        ref = env(service)["MONGODB_URL"]["valueFrom"]["secretKeyRef"]
        assert ref["name"] in users, f"no MongoDB user writes the Secret {ref['name']} that {service} reads"
        assert ref["key"].startswith("connectionString.")
        roles = {(r["name"], r["db"]) for r in users[ref["name"]]["roles"]}
        database = manifest_settings(service).database
        assert ("readWrite", database) in roles, f"{service}'s user cannot write its database {database}"


def test_the_broker_runs_three_nodes_for_quorum_queues() -> None:
    (rabbit,) = of_kind("RabbitmqCluster")
    assert rabbit["spec"]["replicas"] == 3


def test_notify_writes_its_log_channel_to_a_writable_volume() -> None:
    variables = env("notify")
    directory = str(PurePosixPath(variables["NOTIFY_LOG_PATH"]["value"]).parent)
    scratch = {v["name"] for v in pod_spec("notify")["volumes"] if "emptyDir" in v}
    assert any(m["mountPath"] == directory and m["name"] in scratch for m in container("notify")["volumeMounts"])


def nginx_routes() -> set[tuple[str, str, str, str | None]]:
    """(match type, path, service, rewritten path) for every proxied location of the nginx gateway."""
    location = re.compile(r"^\s*location\s+(=\s*)?(/\S*)\s*\{\s*proxy_pass\s+http://(\w+)(/\S*)?\s*;", re.M)
    exact: dict[str, tuple[str, str | None]] = {}
    prefix: dict[str, str] = {}
    for m in location.finditer(NGINX_TEMPLATE.read_text()):
        if m[1]:
            exact[m[2]] = (m[3], m[4])
        else:
            prefix[m[2]] = m[3]
    routes = set()
    for path, (service, rewrite) in exact.items():
        paired = prefix.get(path + "/") == service and rewrite is None
        routes.add(("PathPrefix" if paired else "Exact", path, service, rewrite))
    for path, service in prefix.items():
        if exact.get(path.rstrip("/"), (None,))[0] != service:
            routes.add(("PathPrefix", path.rstrip("/"), service, None))
    regex = re.compile(r"^\s*location\s+~\s+(\S+)\s*\{\s*proxy_pass\s+http://(\w+)\s*;", re.M)
    for m in regex.finditer(NGINX_TEMPLATE.read_text()):
        routes.add(("RegularExpression", m[1], m[2], None))
    return routes


def http_routes() -> set[tuple[str, str, str, str | None]]:
    routes = set()
    for route in of_kind("HTTPRoute"):
        for rule in route["spec"]["rules"]:
            [backend] = rule["backendRefs"]
            rewrite = None
            for f in rule.get("filters", []):
                assert f["type"] == "URLRewrite" and f["urlRewrite"]["path"]["type"] == "ReplaceFullPath"
                rewrite = f["urlRewrite"]["path"]["replaceFullPath"]
            for match in rule["matches"]:
                routes.add((match["path"]["type"], match["path"]["value"], backend["name"], rewrite))
    return routes


def test_http_routes_mirror_the_nginx_gateway() -> None:
    expected = nginx_routes()
    assert {service for _, _, service, _ in expected} == set(SERVICES), "the nginx template was not parsed"
    assert expected == http_routes()


def test_every_route_attaches_to_the_gateway_and_reaches_its_service() -> None:
    listeners = {(g["metadata"]["name"], ls["name"]) for g in of_kind("Gateway") for ls in g["spec"]["listeners"]}
    for route in of_kind("HTTPRoute"):
        for parent in route["spec"]["parentRefs"]:
            assert (parent["name"], parent["sectionName"]) in listeners
        for rule in route["spec"]["rules"]:
            for backend in rule["backendRefs"]:
                ports = {p["port"] for p in one("Service", backend["name"])["spec"]["ports"]}
                assert backend["port"] in ports


def test_every_service_is_scraped_for_metrics() -> None:
    monitors = of_kind("ServiceMonitor")
    for service in SERVICES:
        svc = one("Service", service)
        selecting = [m for m in monitors if selects(m["spec"]["selector"], svc["metadata"]["labels"])]
        endpoints = [e for m in selecting for e in m["spec"]["endpoints"]]
        port_names = {p["name"] for p in svc["spec"]["ports"]}
        assert [(e["port"] in port_names, e["path"]) for e in endpoints] == [(True, "/metrics")], (
            f"{service} is not scraped at /metrics on a port of its Service"
        )


def crd_schemas() -> dict[tuple[str, str], Manifest]:
    """openAPIV3Schema by (apiVersion, kind), for every served version of the CRDs on hand."""
    if not CRDS.is_dir():
        pytest.skip(f"the operators' CRDs are not beside the repository (expected {CRDS.name}/ in ../shared)")
    schemas = {}
    for path in sorted(CRDS.glob("*.yaml")):
        for crd in yaml.safe_load_all(path.read_text()):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served"):
                    schemas[(f"{group}/{version['name']}", kind)] = version["schema"]["openAPIV3Schema"]
    return schemas


def closed(schema: Manifest) -> Manifest:
    """The schema with unknown fields refused: the API server drops them silently, so a misspelt field
    would apply cleanly and do nothing. Only declared structure is closed, never anyOf branches."""
    schema = dict(schema)
    if "properties" in schema:
        schema["properties"] = {name: closed(sub) for name, sub in schema["properties"].items()}
        if "additionalProperties" not in schema and not schema.get("x-kubernetes-preserve-unknown-fields"):
            schema["additionalProperties"] = False
    if isinstance(schema.get("items"), dict):
        schema["items"] = closed(schema["items"])
    if isinstance(schema.get("additionalProperties"), dict):
        schema["additionalProperties"] = closed(schema["additionalProperties"])
    return schema


def test_custom_resources_validate_against_their_crds() -> None:
    schemas = crd_schemas()
    custom = [obj for obj in rendered() if obj["apiVersion"] not in BUILT_IN_APIS]
    expected = {"Gateway", "HTTPRoute", "RabbitmqCluster", "MongoDBCommunity", "ServiceMonitor"}
    assert {obj["kind"] for obj in custom} >= expected
    problems = []
    for obj in custom:
        schema = schemas.get((obj["apiVersion"], obj["kind"]))
        if schema is None:
            problems.append(f"{obj['kind']} {obj['apiVersion']}: no served CRD version")
            continue
        body = {key: obj[key] for key in ("apiVersion", "kind", "metadata", "spec") if key in obj}
        for error in jsonschema.Draft7Validator(closed(schema)).iter_errors(body):
            where = ".".join(str(part) for part in error.absolute_path)
            problems.append(f"{obj['kind']}/{obj['metadata']['name']} {where}: {error.message}")
    assert not problems, "\n".join(problems)

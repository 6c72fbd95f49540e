"""The Kubernetes base and its overlays, checked offline: rendered from their kustomization.yaml without
kustomize (and compared with kustomize where it is installed), then held to what an operator would trip over
first (probes, privileges, sizes, credentials, routes, the API's and the operators' schemas)."""

from __future__ import annotations

import copy
import functools
import importlib
import json
import re
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from pacs_devstack.stack import SERVICES
from pacs_kit.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
RENDERINGS = {"base": K8S / "base", "dev": K8S / "overlays" / "dev", "prod": K8S / "overlays" / "prod"}
NGINX_TEMPLATE = ROOT / "deploy" / "gateway" / "nginx.conf.template"
DOCKERFILE = ROOT / "Dockerfile"
# the team's copy of the operators' CRDs: shared/k8s-crds beside the repository, or beside a folder above it
CRDS = next((d / "shared" / "k8s-crds" for d in ROOT.parents if (d / "shared" / "k8s-crds").is_dir()),
            ROOT.parent / "shared" / "k8s-crds")  # fmt: skip

Manifest = dict[str, Any]

# What the renderer below applies; anything else in a kustomization would be silently ignored here.
RENDERED_FIELDS = {"apiVersion", "kind", "namespace", "resources", "images", "patches"}
PATCH_FIELDS = {"path", "patch", "target"}
TARGET_FIELDS = {"kind", "name"}
IMAGE_FIELDS = {"name", "newName", "newTag"}
JSON_PATCH_OPS = {"add", "replace", "remove"}
CLUSTER_SCOPED = {"Namespace"}

BUILT_IN_APIS = {"v1", "apps/v1", "autoscaling/v2", "policy/v1", "networking.k8s.io/v1"}
BUILT_IN_KINDS = {
    "Namespace", "ConfigMap", "Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget",
    "NetworkPolicy",
}  # fmt: skip
# The oldest minor version the manifests are held to (a PDB's unhealthyPodEvictionPolicy is GA from 1.31),
# and the newest whose schemas kubernetes-validate ships.
KUBERNETES_VERSIONS = ("1.31", kubernetes_validate.latest_version())
MIN_REPLICAS = {"base": 2, "dev": 1, "prod": 3}
DATA_NODES = {"base": 3, "dev": 1, "prod": 3}  # RabbitMQ nodes, MongoDB members
CREDENTIALS = ("JWT_SECRET", "AMQP_URL", "MONGODB_URL")
PORT = 8000
UID = 10001


def render(directory: Path) -> list[Manifest]:
    """What `kubectl kustomize` prints, for the kustomize features the base and the overlays use."""
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
    for entry in kustomization.get("patches", []):
        patch(objects, entry, directory)
    for image in kustomization.get("images", []):
        set_image(objects, image)
    if namespace := kustomization.get("namespace"):
        for obj in objects:
            if obj["kind"] not in CLUSTER_SCOPED:
                obj["metadata"]["namespace"] = namespace
    return objects


def patch(objects: list[Manifest], entry: Manifest, directory: Path) -> None:
    """A JSON 6902 patch (a list of operations) on its target, or a strategic merge patch on the object it names."""
    assert set(entry) <= PATCH_FIELDS and ("path" in entry) != ("patch" in entry), f"unapplied patch {entry}"
    body = yaml.safe_load((directory / entry["path"]).read_text() if "path" in entry else entry["patch"])
    if isinstance(body, list):
        target = entry["target"]
        assert set(target) <= TARGET_FIELDS, f"this test does not select patch targets by {sorted(target)}"
        # kustomize reads the name as an anchored regular expression; a plain name means the same.
        assert re.fullmatch(r"[a-z0-9-]*", target.get("name", "")), f"a regular expression in {target}"
        matched = [obj for obj in objects if all(obj_field(obj, key) == value for key, value in target.items())]
        assert matched, f"the patch target {target} matches nothing"
        for obj in matched:
            for operation in body:
                json_patch(obj, operation)
    else:
        assert "target" not in entry, "a strategic merge patch names its object itself"
        key = (body["apiVersion"], body["kind"], body["metadata"]["name"])
        (obj,) = [o for o in objects if (o["apiVersion"], o["kind"], o["metadata"]["name"]) == key]
        merge(obj, body)


def obj_field(obj: Manifest, key: str) -> str:
    return str(obj["kind"] if key == "kind" else obj["metadata"][key])


def json_patch(obj: Manifest, operation: Manifest) -> None:
    assert operation["op"] in JSON_PATCH_OPS, f"this test does not apply the JSON patch operation {operation['op']}"
    *parents, last = [part.replace("~1", "/").replace("~0", "~") for part in operation["path"].split("/")[1:]]
    node: Any = obj
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) and last != "-" else last
    if operation["op"] in ("remove", "replace"):  # a replace is a remove and an add (RFC 6902, 4.3)
        del node[key]  # fails on a missing path, as kustomize does
    if operation["op"] in ("add", "replace"):
        value = copy.deepcopy(operation["value"])
        if isinstance(node, list):
            node.insert(len(node) if last == "-" else key, value)
        else:
            node[key] = value


def merge(obj: Manifest, body: Manifest) -> None:
    """A strategic merge of maps and scalars; null deletes. Lists would need the API's merge keys."""
    for key, value in body.items():
        if value is None:
            obj.pop(key, None)
        elif isinstance(value, dict):
            merge(obj.setdefault(key, {}), value)
        else:
            assert not isinstance(value, list), f"{key}: this test does not merge lists in a strategic merge patch"
            obj[key] = value


def containers_in(node: Any) -> Iterator[Manifest]:
    """Every container and init container, wherever it sits, as kustomize's image transformer finds them."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("containers", "initContainers") and isinstance(value, list):
                yield from value
            else:
                yield from containers_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from containers_in(item)


def set_image(objects: list[Manifest], image: Manifest) -> None:
    assert set(image) <= IMAGE_FIELDS, f"this test does not apply {sorted(set(image) - IMAGE_FIELDS)} of images"
    for obj in objects:
        for c in containers_in(obj):
            name, _, tag = c.get("image", "").partition(":")
            if name == image["name"]:
                c["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}"


@functools.cache
def rendered(name: str) -> tuple[Manifest, ...]:
    return tuple(render(RENDERINGS[name]))


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


@dataclass(frozen=True)
class Manifests:
    """One rendering (the base, or an overlay) and the questions the tests ask of it."""

    name: str
    objects: tuple[Manifest, ...]

    def of_kind(self, kind: str) -> list[Manifest]:
        return [obj for obj in self.objects if obj["kind"] == kind]

    def one(self, kind: str, name: str) -> Manifest:
        found = [obj for obj in self.of_kind(kind) if obj["metadata"]["name"] == name]
        assert len(found) == 1, f"{self.name}: expected one {kind} named {name}, found {len(found)}"
        return found[0]

    def pod_spec(self, service: str) -> Manifest:
        spec: Manifest = self.one("Deployment", service)["spec"]["template"]["spec"]
        return spec

    def container(self, service: str) -> Manifest:
        (only,) = self.pod_spec(service)["containers"]
        assert only["name"] == service
        return only

    def pod_labels(self, service: str) -> dict[str, str]:
        labels: dict[str, str] = self.one("Deployment", service)["spec"]["template"]["metadata"]["labels"]
        return labels

    def env(self, service: str) -> dict[str, Manifest]:
        return {var["name"]: var for var in self.container(service).get("env", [])}

    def policies_for(self, service: str) -> list[Manifest]:
        labels = self.pod_labels(service)
        return [p for p in self.of_kind("NetworkPolicy") if selects(p["spec"]["podSelector"], labels)]

    def services_for(self, service: str) -> list[Manifest]:
        labels = self.pod_labels(service)
        return [s for s in self.of_kind("Service") if selects({"matchLabels": s["spec"]["selector"]}, labels)]

    def shared_config(self) -> dict[str, str]:
        names = {ref["configMapRef"]["name"] for s in SERVICES for ref in self.container(s).get("envFrom", [])}
        data: dict[str, str] = {}
        for name in sorted(names):
            data |= self.one("ConfigMap", name)["data"]
        return data

    def settings(self, service: str) -> ServiceSettings:
        """The service's own settings class reading its ConfigMap and container env, stand-ins for the Secrets."""
        values = dict(self.shared_config())
        for name, var in self.env(service).items():
            values[name] = var["value"] if "value" in var else "from-a-secret-" + "x" * 32
        with pytest.MonkeyPatch.context() as patch:
            for name, value in values.items():
                patch.setenv(name, value)
            module = importlib.import_module(f"pacs_{service}.settings")
            settings: ServiceSettings = getattr(module, f"{service.capitalize()}Settings")()
        return settings


@pytest.fixture(scope="module", params=RENDERINGS)
def k8s(request: pytest.FixtureRequest) -> Manifests:
    return Manifests(request.param, rendered(request.param))


def quantity(value: str | int) -> float:
    """A Kubernetes quantity as a number: 250m -> 0.25, 1Gi -> 2**30."""
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "": 1}
    number, unit = re.fullmatch(r"([0-9.]+)(m|Ki|Mi|Gi|)", str(value)).groups()  # type: ignore[union-attr]
    return float(number) * units[unit]


def test_every_rendering_runs_exactly_the_platforms_services_from_one_image(k8s: Manifests) -> None:
    assert {d["metadata"]["name"] for d in k8s.of_kind("Deployment")} == set(SERVICES)
    images = {k8s.container(service)["image"] for service in SERVICES}
    assert len(images) == 1
    name, _, tag = images.pop().partition(":")
    assert name == "pacs-service-ops"
    if k8s.name == "prod":
        assert re.fullmatch(r"\d+\.\d+\.\d+", tag), f"production runs a moving tag {tag}"
    for service in SERVICES:
        assert k8s.env(service)["SERVICE"]["value"] == service


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_probes_healthz_for_liveness_and_readyz_for_readiness(k8s: Manifests, service: str) -> None:
    c = k8s.container(service)
    named_ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz"), ("startupProbe", "/healthz")):
        get = c[probe]["httpGet"]
        assert get["path"] == path, f"{service} {probe}"
        assert named_ports.get(get["port"], get["port"]) == PORT, f"{service} {probe} probes another port"
    # /readyz waits up to 3 s for the database before it answers 503.
    assert c["readinessProbe"]["timeoutSeconds"] > 3


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_runs_non_root_with_read_only_root(k8s: Manifests, service: str) -> None:
    pod, c = k8s.pod_spec(service), k8s.container(service)
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
def test_every_service_requests_and_limits_cpu_and_memory(k8s: Manifests, service: str) -> None:
    resources = k8s.container(service)["resources"]
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(resources[bound]), f"{service} {bound}"
    for resource in ("cpu", "memory"):
        request, limit = resources["requests"][resource], resources["limits"][resource]
        assert quantity(request) <= quantity(limit), f"{service}: the API server refuses {resource} {request} > {limit}"


@pytest.mark.parametrize("service", SERVICES)
def test_overlays_size_each_service_against_the_base(service: str) -> None:
    """dev asks for less than the base and keeps its limits; prod gives every service at least the base's."""
    base, dev, prod = (Manifests(n, rendered(n)).container(service)["resources"] for n in ("base", "dev", "prod"))
    for resource in ("cpu", "memory"):
        assert quantity(dev["requests"][resource]) <= quantity(base["requests"][resource])
        assert dev["limits"][resource] == base["limits"][resource], f"dev {service}: a smaller {resource} limit"
        for bound in ("requests", "limits"):
            assert quantity(prod[bound][resource]) >= quantity(base[bound][resource]), f"prod {service} {bound}"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_accepts_its_manifest_environment_in_production(k8s: Manifests, service: str) -> None:
    assert k8s.pod_spec(service)["enableServiceLinks"] is False, "a Service's injected <NAME>_PORT shadows settings"
    settings = k8s.settings(service)
    assert settings.environment == "production"
    assert (settings.host, settings.port) == ("0.0.0.0", PORT)
    assert {p["containerPort"] for p in k8s.container(service)["ports"] if p["name"] == "http"} == {PORT}


@pytest.mark.parametrize("service", SERVICES)
def test_every_deployment_has_a_service_autoscaler_disruption_budget_and_network_policy(
    k8s: Manifests, service: str
) -> None:
    (svc,) = k8s.services_for(service)
    assert svc["metadata"]["name"] == service
    assert [(p["name"], p["port"], p["targetPort"]) for p in svc["spec"]["ports"]] == [("http", 80, "http")]

    (hpa,) = [h for h in k8s.of_kind("HorizontalPodAutoscaler") if h["spec"]["scaleTargetRef"]["name"] == service]
    assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    assert hpa["spec"]["minReplicas"] == MIN_REPLICAS[k8s.name]
    assert hpa["spec"]["maxReplicas"] >= hpa["spec"]["minReplicas"]
    if k8s.name == "prod":
        assert hpa["spec"]["maxReplicas"] == 10
    [metric] = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}

    (pdb,) = [p for p in k8s.of_kind("PodDisruptionBudget") if selects(p["spec"]["selector"], k8s.pod_labels(service))]
    budget = {key: pdb["spec"][key] for key in ("minAvailable", "maxUnavailable") if key in pdb["spec"]}
    assert len(budget) == 1, f"{service}: a disruption budget sets minAvailable or maxUnavailable, not {budget}"
    evictable = budget.get("maxUnavailable", hpa["spec"]["minReplicas"] - budget.get("minAvailable", 0))
    assert evictable >= 1, "the budget would block every node drain"

    types = {t for p in k8s.policies_for(service) for t in p["spec"]["policyTypes"]}
    assert types == {"Ingress", "Egress"}, f"{service} is not isolated both ways"


@pytest.mark.parametrize("service", SERVICES)
def test_only_the_gateway_and_prometheus_reach_a_service_and_only_on_its_http_port(
    k8s: Manifests, service: str
) -> None:
    rules = [rule for p in k8s.policies_for(service) for rule in p["spec"].get("ingress", [])]
    admitted: set[str] = set()
    for rule in rules:
        assert rule.get("from"), f"{service} admits any source"
        assert [port["port"] for port in rule["ports"]] == ["http"]
        for peer in rule["from"]:
            admitted |= set(peer["namespaceSelector"]["matchLabels"])
    assert admitted == {"pacs-service-ops/gateway", "pacs-service-ops/prometheus"}


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_reaches_only_dns_the_broker_the_database_and_its_own_peers(k8s: Manifests, service: str) -> None:
    ports: set[int] = set()
    for rule in (rule for p in k8s.policies_for(service) for rule in p["spec"].get("egress", [])):
        assert rule.get("ports"), f"{service} may reach any port"
        ports |= {port["port"] for port in rule["ports"]}
    own = {"notify": {443}, "monitoring": {104, 4242, 11112}}.get(service, set())  # providers; DICOM nodes
    assert ports == {53, 5672, 27017} | own


def test_credentials_come_from_secret_references_never_inline(k8s: Manifests) -> None:
    assert not k8s.of_kind("Secret"), "Secrets are created by the operator of the cluster, never committed"
    for service in SERVICES:
        for name in CREDENTIALS:
            var = k8s.env(service)[name]
            assert "value" not in var, f"{service} inlines {name}"
            assert {"name", "key"} <= set(var["valueFrom"]["secretKeyRef"]), f"{service} {name}"
        assert all("configMapRef" in ref for ref in k8s.container(service).get("envFrom", []))
    assert not set(CREDENTIALS) & set(k8s.shared_config())
    text = "\n".join(path.read_text() for path in RENDERINGS[k8s.name].rglob("*.yaml"))
    assert not re.search(r"(amqp|mongodb(\+srv)?)://", text), f"a connection URL is written into {k8s.name}"


def test_every_database_user_takes_its_password_from_a_secret_and_owns_its_services_database(k8s: Manifests) -> None:
    (mongo,) = k8s.of_kind("MongoDBCommunity")
    assert mongo["spec"]["members"] == DATA_NODES[k8s.name]
    assert re.fullmatch(r"\d+\.\d+\.\d+", mongo["spec"]["version"])
    users = {u["connectionStringSecretName"]: u for u in mongo["spec"]["users"]}
    assert all(u["passwordSecretRef"]["name"] for u in users.values())
    for service in SERVICES:
        ref = k8s.env(service)["MONGODB_URL"]["valueFrom"]["secretKeyRef"]
        assert ref["name"] in users, f"no MongoDB user writes the Secret {ref['name']} that {service} reads"
        assert ref["key"].startswith("connectionString.")
        roles = {(r["name"], r["db"]) for r in users[ref["name"]]["roles"]}
        database = k8s.settings(service).database
        assert ("readWrite", database) in roles, f"{service}'s user cannot write its database {database}"


def test_the_broker_runs_three_nodes_for_quorum_queues_outside_dev(k8s: Manifests) -> None:
    (rabbit,) = k8s.of_kind("RabbitmqCluster")
    assert rabbit["spec"]["replicas"] == DATA_NODES[k8s.name]


def test_notify_writes_its_log_channel_to_a_writable_volume(k8s: Manifests) -> None:
    variables = k8s.env("notify")
    directory = str(PurePosixPath(variables["NOTIFY_LOG_PATH"]["value"]).parent)
    scratch = {v["name"] for v in k8s.pod_spec("notify")["volumes"] if "emptyDir" in v}
    assert any(m["mountPath"] == directory and m["name"] in scratch for m in k8s.container("notify")["volumeMounts"])


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


def http_routes(k8s: Manifests) -> set[tuple[str, str, str, str | None]]:
    routes = set()
    for route in k8s.of_kind("HTTPRoute"):
        for rule in route["spec"]["rules"]:
            [backend] = rule["backendRefs"]
            rewrite = None
            for f in rule.get("filters", []):
                assert f["type"] == "URLRewrite" and f["urlRewrite"]["path"]["type"] == "ReplaceFullPath"
                rewrite = f["urlRewrite"]["path"]["replaceFullPath"]
            for match in rule["matches"]:
                routes.add((match["path"]["type"], match["path"]["value"], backend["name"], rewrite))
    return routes


def test_http_routes_mirror_the_nginx_gateway(k8s: Manifests) -> None:
    expected = nginx_routes()
    assert {service for _, _, service, _ in expected} == set(SERVICES), "the nginx template was not parsed"
    assert expected == http_routes(k8s)


def test_every_route_attaches_to_the_gateway_and_reaches_its_service(k8s: Manifests) -> None:
    gateways = k8s.of_kind("Gateway")
    listeners = {(g["metadata"]["name"], ls["name"]) for g in gateways for ls in g["spec"]["listeners"]}
    for route in k8s.of_kind("HTTPRoute"):
        for parent in route["spec"]["parentRefs"]:
            assert (parent["name"], parent["sectionName"]) in listeners
        for rule in route["spec"]["rules"]:
            for backend in rule["backendRefs"]:
                ports = {p["port"] for p in k8s.one("Service", backend["name"])["spec"]["ports"]}
                assert backend["port"] in ports


def test_every_service_is_scraped_for_metrics(k8s: Manifests) -> None:
    monitors = k8s.of_kind("ServiceMonitor")
    for service in SERVICES:
        svc = k8s.one("Service", service)
        selecting = [m for m in monitors if selects(m["spec"]["selector"], svc["metadata"]["labels"])]
        endpoints = [e for m in selecting for e in m["spec"]["endpoints"]]
        port_names = {p["name"] for p in svc["spec"]["ports"]}
        assert [(e["port"] in port_names, e["path"]) for e in endpoints] == [(True, "/metrics")], (
            f"{service} is not scraped at /metrics on a port of its Service"
        )


def test_built_in_objects_validate_against_the_kubernetes_api_schemas(k8s: Manifests) -> None:
    """Strict schemas: the API server drops unknown fields silently, so a misspelt one would do nothing."""
    built_in = [obj for obj in k8s.objects if obj["apiVersion"] in BUILT_IN_APIS]
    assert {obj["kind"] for obj in built_in} == BUILT_IN_KINDS
    problems = []
    for obj in built_in:
        for version in KUBERNETES_VERSIONS:
            try:
                kubernetes_validate.validate(obj, version, strict=True)
            except kubernetes_validate.ValidationError as error:
                where = ".".join(str(part) for part in error.absolute_path)
                problems.append(f"{obj['kind']}/{obj['metadata']['name']} ({version}) {where}: {error.message}")
    assert not problems, "\n".join(problems)


@functools.cache
def crd_schemas() -> dict[tuple[str, str], Manifest]:
    """openAPIV3Schema by (apiVersion, kind), for every served version of the CRDs on hand."""
    if not CRDS.is_dir():
        pytest.skip("the operators' CRDs are not beside the repository or a folder above it (shared/k8s-crds)")
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


def test_custom_resources_validate_against_their_crds(k8s: Manifests) -> None:
    schemas = crd_schemas()
    custom = [obj for obj in k8s.objects if obj["apiVersion"] not in BUILT_IN_APIS]
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


def kustomize() -> list[str]:
    if kubectl := shutil.which("kubectl"):
        return [kubectl, "kustomize"]
    if binary := shutil.which("kustomize"):
        return [binary, "build"]
    pytest.skip("neither kubectl nor kustomize is on PATH, so the renderer here is not compared with kustomize")


def by_identity(objects: list[Manifest] | tuple[Manifest, ...]) -> dict[str, str]:
    """Each object as canonical JSON under kind/namespace/name, for a comparison that ignores order."""
    found = {}
    for obj in objects:
        identity = f"{obj['kind']}/{obj['metadata'].get('namespace', '')}/{obj['metadata']['name']}"
        assert identity not in found, f"{identity} twice"
        found[identity] = json.dumps(obj, sort_keys=True, indent=1)
    return found


def test_the_renderer_here_prints_what_kustomize_prints(k8s: Manifests) -> None:
    command = [*kustomize(), str(RENDERINGS[k8s.name])]
    built = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert built.returncode == 0, built.stderr
    assert by_identity(k8s.objects) == by_identity([doc for doc in yaml.safe_load_all(built.stdout) if doc])

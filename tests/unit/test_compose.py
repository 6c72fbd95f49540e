"""deploy/compose.yaml, the platform on a laptop with Docker: read by the Compose CLI where one is installed,
always checked against the Compose Specification's schema, and held to what a user would trip over first."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from check_jsonschema.builtin_schemas import get_builtin_schema

from pacs_devstack.stack import SERVICES
from pacs_kit.settings import ServiceSettings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "deploy" / "compose.yaml"
NGINX_TEMPLATE = ROOT / "deploy" / "gateway" / "nginx.conf.template"
# Stand-ins for what a user sets before `docker compose up`; the file itself holds no secret.
SECRETS = {"JWT_SECRET": "s" * 48, "RABBITMQ_PASSWORD": "p" * 24, "GRAFANA_ADMIN_PASSWORD": "g" * 16}
REQUIRED = re.compile(r"\$\{\w+:\?[^}]*\}")  # ${NAME:?message}: compose refuses to start without NAME
INTERPOLATION = re.compile(r"\$\$|\$\{(\w+)(?::([-?])([^}]*))?\}")
PORT = 8000


@cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def services() -> dict[str, Any]:
    found: dict[str, Any] = compose()["services"]
    return found


def interpolate(value: str, variables: dict[str, str]) -> str:
    """What compose makes of ${NAME}, ${NAME:-default}, ${NAME:?error} and $$."""

    def one(m: re.Match[str]) -> str:
        name, operator, argument = m[1], m[2], m[3]
        if name is None:
            return "$"
        if variables.get(name):
            return variables[name]
        assert operator != "?", f"compose refuses to start: {argument}"
        return argument if operator == "-" else ""

    return INTERPOLATION.sub(one, value)


def compose_cli() -> list[str]:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True, check=False).returncode == 0:
        return [docker, "compose"]
    if legacy := shutil.which("docker-compose"):
        return [legacy]
    pytest.skip("neither `docker compose` nor docker-compose is installed; the schema test below still runs")


def test_compose_accepts_the_file() -> None:
    command = [*compose_cli(), "-f", str(COMPOSE), "config", "-q"]
    checked = subprocess.run(command, env=os.environ | SECRETS, capture_output=True, text=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stderr


def test_the_file_follows_the_compose_specification() -> None:
    validator = jsonschema.Draft202012Validator(
        get_builtin_schema("vendor.compose-spec"), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    problems = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(compose())]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_is_built_from_the_repository_and_waits_for_the_broker_and_the_database(service: str) -> None:
    spec = services()[service]
    assert (COMPOSE.parent / spec["build"]["context"] / "Dockerfile").is_file()
    assert spec["environment"]["SERVICE"] == service
    assert spec["depends_on"] == {
        "rabbitmq": {"condition": "service_healthy"},
        "mongo": {"condition": "service_healthy"},
    }
    assert f"127.0.0.1:{PORT}/readyz" in " ".join(spec["healthcheck"]["test"])
    assert spec["read_only"] is True and "/tmp" in spec["tmpfs"], "the root filesystem is read-only, as in the cluster"


def test_the_broker_and_the_database_report_when_they_are_ready() -> None:
    rabbitmq, mongo = services()["rabbitmq"], services()["mongo"]
    assert "rabbitmq-diagnostics" in rabbitmq["healthcheck"]["test"]
    # Transactions need a replica set: mongod runs as one, and its healthcheck initiates it.
    assert mongo["command"][mongo["command"].index("--replSet") + 1] == "rs0"
    initiate = " ".join(mongo["healthcheck"]["test"])
    assert "rs.initiate({_id: 'rs0'" in initiate and "host: 'mongo:27017'" in initiate
    assert "isWritablePrimary" in initiate, "healthy before there is a primary to write to"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_accepts_its_compose_environment_in_production(service: str) -> None:
    values = {name: interpolate(str(value), SECRETS) for name, value in services()[service]["environment"].items()}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in values.items():
            patch.setenv(name, value)
        module = importlib.import_module(f"pacs_{service}.settings")
        settings: ServiceSettings = getattr(module, f"{service.capitalize()}Settings")()
    assert settings.environment == "production"
    assert (settings.host, settings.port) == ("0.0.0.0", PORT)
    assert settings.amqp_url.endswith("@rabbitmq:5672/")
    assert settings.mongodb_url.startswith("mongodb://mongo:27017/") and "replicaSet=rs0" in settings.mongodb_url


def test_no_secret_is_written_into_the_file() -> None:
    for name, spec in services().items():
        for key, value in dict(spec.get("environment", {})).items():
            if re.search(r"SECRET|PASS|TOKEN|KEY", key):
                assert REQUIRED.fullmatch(str(value)), f"{name} {key} is not taken from the environment"
            for password in re.findall(r"://[^:/@\s]+:([^@\s]+)@", str(value)):
                assert REQUIRED.fullmatch(password), f"{name} {key} writes a password into its URL"
    with pytest.raises(AssertionError, match="set JWT_SECRET"):
        interpolate(services()["intake"]["environment"]["JWT_SECRET"], {})


def test_the_gateway_fills_every_placeholder_of_the_nginx_template() -> None:
    gateway = services()["gateway"]
    script = "\n".join(gateway["command"])
    rendered = NGINX_TEMPLATE.read_text()
    for old, new in re.findall(r"""-e\s+["']s\|([^|]+)\|([^|]*)\|g?["']""", script):
        rendered = rendered.replace(old, new)
    directives = re.sub(r"^\s*#.*$", "", rendered, flags=re.M)
    assert not re.findall(r"@\w+@", directives), "a placeholder is left for nginx to trip over"
    upstreams = dict(re.findall(r"upstream\s+(\w+)\s*\{\s*server\s+(\S+);", rendered))
    assert upstreams == {service: f"{service}:{PORT}" for service in SERVICES}
    (listen,) = re.findall(r"^\s*listen\s+(\S+);", rendered, re.M)
    assert any(port.endswith(f":{listen.rsplit(':', 1)[1]}") for port in gateway["ports"])
    assert any(path in script for path in mounted("gateway")), "the script reads a template that is not mounted"
    assert set(gateway["depends_on"]) == set(SERVICES)
    assert all(condition == {"condition": "service_healthy"} for condition in gateway["depends_on"].values())


def bind_mounts() -> list[str]:
    return [v.split(":")[0] for spec in services().values() for v in spec.get("volumes", []) if v.startswith(".")]


@pytest.mark.parametrize("source", bind_mounts())
def test_every_mounted_file_is_in_the_repository(source: str) -> None:
    path = (COMPOSE.parent / source).resolve()
    where = path.relative_to(ROOT)
    if not path.exists() and not Path(source).suffix:
        pytest.skip(f"{where}/ is not in the repository yet; Docker mounts an empty directory in its place")
    # In place of a missing file Docker would mount an empty directory, and the container would fail on it.
    assert path.exists(), f"{where} is mounted but missing"


def mounted(service: str) -> dict[str, str]:
    """Container path -> repository path of a service's bind mounts."""
    found = {}
    for volume in services()[service].get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("."):
            found[target] = source
    return found


def inside_a_mount(path: str, service: str) -> bool:
    return any(path == target or path.startswith(target.rstrip("/") + "/") for target in mounted(service))


def test_prometheus_scrapes_every_service_where_compose_runs_it() -> None:
    config_path = COMPOSE.parent / mounted("prometheus")["/etc/prometheus/prometheus.yml"]
    if not config_path.exists():
        pytest.skip(f"{config_path.relative_to(ROOT)} is not in the repository yet")
    config = yaml.safe_load(config_path.read_text())
    targets = {t for job in config["scrape_configs"] for s in job["static_configs"] for t in s["targets"]}
    assert {f"{service}:{PORT}" for service in SERVICES} <= targets
    assert all(inside_a_mount(str(Path(rules).parent), "prometheus") for rules in config.get("rule_files", []))


def test_grafana_finds_the_dashboards_where_its_provisioning_looks() -> None:
    providers = sorted((COMPOSE.parent / "grafana" / "provisioning" / "dashboards").glob("*.y*ml"))
    if not providers:
        pytest.skip("deploy/grafana/provisioning/dashboards/ is not in the repository yet")
    for path in providers:
        for provider in yaml.safe_load(path.read_text()).get("providers", []):
            assert inside_a_mount(provider["options"]["path"], "grafana"), f"{path.name}: {provider['name']}"

"""What the hospital's security officer signs: the environment is exactly the lock, the image is built from
the runtime lock alone with nothing floating, the SBOM is valid CycloneDX and lists every runtime package
with its version and licence, and no runtime licence falls outside the policy (GPL and AGPL never ship)."""

from __future__ import annotations

import email.message
import importlib.metadata
import json
import re
from pathlib import Path

import pytest
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from pacs_devstack import sbom
from pacs_kit import build

ROOT = Path(__file__).resolve().parents[2]


def _metadata(**fields: str | list[str]) -> email.message.Message:
    message = email.message.Message()
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            message[key.replace("_", "-")] = item
    return message


def test_the_environment_holds_exactly_the_locked_versions() -> None:
    installed = {sbom.canonical(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    locked = sbom.read_lock(sbom.DEV_LOCK)
    assert len(locked) > 100
    wrong = {name: (pin.version, installed.get(name)) for name, pin in locked.items()
             if installed.get(name) != pin.version}  # fmt: skip
    assert not wrong, f"installed differs from requirements/dev.txt (locked, installed): {wrong}"
    assert all(pin.hashes for pin in locked.values()), "every pin carries its hashes"


def test_the_runtime_lock_is_the_development_locks_versions_without_the_development_packages() -> None:
    runtime, dev = sbom.read_lock(sbom.RUNTIME_LOCK), sbom.read_lock(sbom.DEV_LOCK)
    assert {name: pin.version for name, pin in runtime.items()} == {name: dev[name].version for name in runtime}
    for development_only in ("secantusdb", "pytest", "schemathesis", "mypy"):
        assert development_only in dev and development_only not in runtime


def test_every_runtime_licence_is_allowed_and_secantusdb_is_gpl_and_kept_out() -> None:
    policy = sbom.Policy.load()
    runtime = sbom.read_lock(sbom.RUNTIME_LOCK)
    verdicts = {name: sbom.licence_of(importlib.metadata.metadata(pin.name), pin.name, policy).verdict(policy)
                for name, pin in runtime.items()}  # fmt: skip
    assert not [f"{name}: {why}" for name, (ok, why) in verdicts.items() if not ok]
    secantus = sbom.licence_of(importlib.metadata.metadata("secantusdb"), "secantusdb", policy)
    assert secantus.expression is not None and "GPL-2.0" in secantus.expression
    assert not secantus.verdict(policy)[0], "it would be refused, were it ever in the runtime set"


@pytest.mark.parametrize(
    ("fields", "allowed"),
    [
        ({"License_Expression": "GPL-3.0-only"}, False),
        ({"License_Expression": "AGPL-3.0-or-later"}, False),
        ({"License_Expression": "MIT AND GPL-2.0-only"}, False),
        ({"License_Expression": "GPL-2.0-or-later OR MIT"}, True),
        ({"License": "GPL"}, False),
        ({"Classifier": ["License :: OSI Approved :: GNU General Public License v3 (GPLv3)"]}, False),
        ({"Classifier": ["License :: OSI Approved :: BSD License"]}, False),  # which BSD? read it, then list it
        ({"Classifier": ["License :: OSI Approved :: MIT License"]}, True),
        ({}, False),
    ],
)
def test_a_runtime_dependency_under_a_licence_outside_the_policy_is_refused(
    fields: dict[str, str | list[str]], allowed: bool
) -> None:
    policy = sbom.Policy.load()
    licence = sbom.licence_of(_metadata(**fields), "crafted-package", policy)
    assert licence.verdict(policy)[0] is allowed, licence


def test_the_report_names_a_refused_runtime_package_and_keeps_development_ones_apart() -> None:
    policy = sbom.Policy.load()
    runtime = {"copyleft": sbom.Locked("copyleft", "1.0", ["0" * 64]), "fine": sbom.Locked("fine", "2.0")}
    dev = {"secantusdb": sbom.Locked("secantusdb", "0.7.0b3")}
    licences = {"copyleft": sbom.Licence("GPL-3.0-only", "GPL-3.0-only", "License-Expression"),
                "fine": sbom.Licence("MIT", "MIT", "License-Expression"),
                "secantusdb": sbom.Licence("GPL-2.0-only", "GPL-2.0-only", "License-Expression")}  # fmt: skip
    text, refused = sbom.report(runtime, dev, licences, policy)
    assert [line.split(":")[0] for line in refused] == ["copyleft 1.0"]
    assert text.index("secantusdb") > text.index("Development only")


def test_the_sbom_is_valid_cyclonedx_listing_every_runtime_package_with_version_and_licence() -> None:
    policy = sbom.Policy.load()
    runtime = sbom.read_lock(sbom.RUNTIME_LOCK)
    licences = {name: sbom.licence_of(importlib.metadata.metadata(pin.name), pin.name, policy)
                for name, pin in runtime.items()}  # fmt: skip
    document = JsonV1Dot6(sbom.bom_of(runtime, licences, sbom.lock_id())).output_as_string()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(document) is None
    components = {c["bom-ref"]: c for c in json.loads(document)["components"]}
    for name, pin in runtime.items():
        component = components[f"pypi:{name}"]
        assert component["version"] == pin.version and component["purl"] == f"pkg:pypi/{name}@{pin.version}"
        assert component["licenses"] and component["hashes"], name
    assert {f"deb:{name}" for name, _ in sbom.os_packages()} <= components.keys()


def test_the_dockerfile_installs_only_pinned_things() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    [base] = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", base), base
    installs = re.findall(r"pip install ([^\n\\&]+)", text)
    assert installs and all("--no-deps" in line for line in installs), installs
    assert any("--require-hashes" in line and "requirements/runtime.txt" in line for line in installs)
    assert "dev.txt" not in text and ".[dev]" not in text
    assert "xargs apt-get install" in text and "os-packages.txt" in text
    packages = sbom.os_packages()
    assert packages and all(re.fullmatch(r"[\w.+-]+", name) and version for name, version in packages), packages


def test_a_service_reports_the_runtime_lock_it_was_built_from() -> None:
    assert build.lock_id() == sbom.lock_id() == sbom.lock_id(ROOT / "requirements" / "runtime.txt")
    assert re.fullmatch(r"[0-9a-f]{16}", build.lock_id())

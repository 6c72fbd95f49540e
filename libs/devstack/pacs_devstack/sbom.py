"""The image's bill of materials and licence report, from the locks.

`python -m pacs_devstack.sbom --out dist` writes `dist/sbom.cdx.json` (CycloneDX 1.6: every package of the
runtime lock with its version, purl, licence and locked hashes, and the OS packages the image installs) and
`dist/licences.md` (the runtime set with each licence and the policy's verdict, then the development-only set,
which is never shipped). It exits 1 when a runtime package carries a licence the policy does not allow.
Licences come from each package's own metadata, read from the environment that `make install` built from
the same locks.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cyclonedx.model import HashAlgorithm, HashType
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from license_expression import ExpressionError, LicenseSymbol, get_spdx_licensing
from packageurl import PackageURL

ROOT = Path(__file__).resolve().parents[3]
RUNTIME_LOCK = ROOT / "requirements" / "runtime.txt"
DEV_LOCK = ROOT / "requirements" / "dev.txt"
POLICY = ROOT / "requirements" / "licences.toml"
OS_PACKAGES = ROOT / "deploy" / "image" / "os-packages.txt"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)\s*(?:\\|$)")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")
_SPDX = get_spdx_licensing()


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Locked:
    name: str
    version: str
    hashes: list[str] = field(default_factory=list)


def read_lock(path: Path) -> dict[str, Locked]:
    """Each pinned package of a hashed requirements file, by canonical name."""
    found: dict[str, Locked] = {}
    current: Locked | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if match := _PIN.match(line):
            current = Locked(match.group(1), match.group(2))
            found[canonical(current.name)] = current
        if current is not None:
            current.hashes += _HASH.findall(line)
        if not line.rstrip().endswith("\\") and not _PIN.match(line):
            current = None
    return found


@dataclass(frozen=True)
class Policy:
    allowed: frozenset[str]
    names: dict[str, str]
    packages: dict[str, str]

    @classmethod
    def load(cls, path: Path = POLICY) -> Policy:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        return cls(frozenset(data["allowed"]), dict(data.get("names", {})),
                   {canonical(k): v for k, v in data.get("packages", {}).items()})  # fmt: skip


@dataclass(frozen=True)
class Licence:
    expression: str | None  # an SPDX expression, when the licence is known as one
    stated: str  # what the metadata said, for the report
    source: str  # License-Expression, License, classifiers, policy, or none

    def verdict(self, policy: Policy) -> tuple[bool, str]:
        if self.expression is None:
            return False, f"no SPDX licence known ({self.source}: {self.stated or 'nothing'})"
        try:
            parsed = _SPDX.parse(self.expression, validate=True)
        except ExpressionError as error:
            return False, f"{self.expression!r} is not an SPDX expression: {error}"
        ok = _allowed(parsed, policy.allowed)
        return ok, "allowed" if ok else f"{self.expression} is not allowed in what the image ships"


def _allowed(node: Any, allowed: frozenset[str]) -> bool:
    if isinstance(node, LicenseSymbol):
        return bool(node.key in allowed)
    parts = [_allowed(arg, allowed) for arg in node.args]
    return any(parts) if type(node).__name__ == "OR" else all(parts)


def licence_of(metadata: Any, name: str, policy: Policy) -> Licence:
    """The licence a package states: PEP 639's License-Expression, else a short License field, else its licence
    classifiers (several are alternatives); the policy settles packages whose metadata is ambiguous."""
    if (chosen := policy.packages.get(canonical(name))) is not None:
        return Licence(chosen, chosen, "policy")
    if expression := (metadata.get("License-Expression") or "").strip():
        return Licence(expression, expression, "License-Expression")
    stated = (metadata.get("License") or "").strip()
    if stated and "\n" not in stated and len(stated) <= 100:
        spdx = policy.names.get(stated, stated)
        if not _SPDX.validate(spdx).errors:
            return Licence(spdx, stated, "License")
    classifiers = [c.split("::")[-1].strip() for c in metadata.get_all("Classifier") or []
                   if c.startswith("License ::") and c.count("::") >= 2]  # fmt: skip
    known = [policy.names[c] for c in classifiers if c in policy.names]
    if classifiers and len(known) == len(classifiers):
        return Licence(" OR ".join(known), "; ".join(classifiers), "classifiers")
    return Licence(None, stated[:100] or "; ".join(classifiers), "classifiers" if classifiers else "none")


def os_packages(path: Path = OS_PACKAGES) -> list[tuple[str, str]]:
    """(name, version) of each Debian package the image installs."""
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("=")
            found.append((name, version))
    return found


def bom_of(runtime: dict[str, Locked], licences: dict[str, Licence], lock_id: str) -> Bom:
    bom = Bom()
    root = Component(name="pacs-service-ops", version=lock_id, type=ComponentType.APPLICATION, bom_ref="image",
                     description="the platform image: runtime lock " + lock_id)  # fmt: skip
    bom.metadata.component = root
    for key, locked in sorted(runtime.items()):
        licence = licences[key]
        component = Component(
            name=locked.name, version=locked.version, type=ComponentType.LIBRARY, bom_ref=f"pypi:{key}",
            purl=PackageURL("pypi", name=key, version=locked.version),
            hashes=[HashType(alg=HashAlgorithm.SHA_256, content=h) for h in locked.hashes],
        )  # fmt: skip
        if licence.expression is not None:
            component.licenses.add(LicenseExpression(licence.expression))
        else:
            component.licenses.add(DisjunctiveLicense(name=licence.stated or "unknown"))
        bom.components.add(component)
    for name, version in os_packages():
        bom.components.add(Component(name=name, version=version, type=ComponentType.LIBRARY, bom_ref=f"deb:{name}",
                                     purl=PackageURL("deb", namespace="debian", name=name, version=version,
                                                     qualifiers={"distro": "debian-12"})))  # fmt: skip
    bom.register_dependency(root, list(bom.components))  # the lock is flat: the image holds each of them
    return bom


def lock_id(path: Path = RUNTIME_LOCK) -> str:
    """The runtime lock's identity, as the services report it (`pacs_service_info{lock=...}`)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def report(runtime: dict[str, Locked], dev_only: dict[str, Locked], licences: dict[str, Licence],
           policy: Policy) -> tuple[str, list[str]]:  # fmt: skip
    lines = [f"# Licences of the image (runtime lock {lock_id()})", "",
             "| package | version | licence | from | verdict |", "|---|---|---|---|---|"]  # fmt: skip
    refused = []
    for key, locked in sorted(runtime.items()):
        licence = licences[key]
        ok, why = licence.verdict(policy)
        if not ok:
            refused.append(f"{locked.name} {locked.version}: {why}")
        lines.append(f"| {locked.name} | {locked.version} | {licence.expression or licence.stated} "
                     f"| {licence.source} | {why} |")  # fmt: skip
    lines += ["", "## Development only (never in the image)", "", "| package | version | licence |", "|---|---|---|"]
    for key, locked in sorted(dev_only.items()):
        licence = licences[key]
        lines.append(f"| {locked.name} | {locked.version} | {licence.expression or licence.stated or 'unknown'} |")
    return "\n".join(lines) + "\n", refused


def installed_metadata(name: str) -> Any:
    try:
        return importlib.metadata.metadata(name)
    except importlib.metadata.PackageNotFoundError:
        raise SystemExit(f"{name} is locked but not installed: run `make install`") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("dist"))
    args = parser.parse_args(argv)
    policy = Policy.load()
    runtime, dev = read_lock(RUNTIME_LOCK), read_lock(DEV_LOCK)
    dev_only = {k: v for k, v in dev.items() if k not in runtime}
    licences = {k: licence_of(installed_metadata(v.name), v.name, policy) for k, v in {**dev, **runtime}.items()}
    bom = bom_of(runtime, licences, lock_id())
    document = JsonV1Dot6(bom).output_as_string(indent=2)
    if (error := JsonStrictValidator(SchemaVersion.V1_6).validate_str(document)) is not None:
        print(f"the SBOM does not validate against CycloneDX 1.6: {error}", file=sys.stderr)
        return 1
    text, refused = report(runtime, dev_only, licences, policy)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sbom.cdx.json").write_text(document, encoding="utf-8")
    (args.out / "licences.md").write_text(text, encoding="utf-8")
    print(f"{args.out / 'sbom.cdx.json'}: {len(runtime)} runtime and {len(os_packages())} OS packages, CycloneDX 1.6, "
          f"valid; {args.out / 'licences.md'}: {len(dev_only)} development-only packages listed apart")  # fmt: skip
    for line in refused:
        print(f"refused: {line}", file=sys.stderr)
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())

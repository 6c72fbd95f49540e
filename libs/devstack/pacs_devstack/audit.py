"""Known vulnerabilities of a locked requirements file, with pip-audit, saying plainly what it could not check.

`python -m pacs_devstack.audit requirements/runtime.txt` audits every pinned package against PyPI's advisory
data (the `vulnerabilities` of each release's JSON). pip-audit reports a package its source did not answer
for as skipped and still says "No known vulnerabilities found"; here a skipped package is never a pass:
the summary says SKIPPED with how many, and AUDIT_STRICT=1 makes that exit 2. Found vulnerabilities exit 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def audit(requirements: Path, service: str = "pypi") -> tuple[list[str], list[str], int, str | None]:
    """(vulnerabilities found, packages not audited, packages audited, why the audit could not run at all)."""
    argv = [str(Path(sys.executable).with_name("pip-audit")), "-r", str(requirements), "--require-hashes",
            "--disable-pip", "--progress-spinner", "off", "-s", service, "-f", "json"]  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "audit.json"
        done = subprocess.run([*argv, "-o", str(out)], capture_output=True, text=True, timeout=900)
        if not out.exists():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return [], [], 0, f"pip-audit could not run: {last[:300]}"
        result = json.loads(out.read_text(encoding="utf-8"))
    found, skipped, audited = [], [], 0
    for dependency in result.get("dependencies", []):
        if "skip_reason" in dependency:
            skipped.append(dependency["name"])
            continue
        audited += 1
        for vulnerability in dependency.get("vulns", []):
            fixed = ", ".join(vulnerability.get("fix_versions") or []) or "no fixed release"
            found.append(f"{dependency['name']} {dependency['version']}: {vulnerability['id']} (fixed in {fixed})")
    return found, skipped, audited, None


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    requirements = Path(args[0] if args else "requirements/runtime.txt")
    strict = os.environ.get("AUDIT_STRICT") == "1"
    found, skipped, audited, failure = audit(requirements)
    if failure is not None:
        print(f"audit SKIPPED, not passed: {failure}")
        return 2 if strict else 0
    for line in found:
        print(f"vulnerable: {line}")
    total = audited + len(skipped)
    if skipped:
        print(f"audit SKIPPED for {len(skipped)} of {total} packages, not passed: the advisory source did not answer "
              f"for them ({', '.join(skipped[:8])}{', …' if len(skipped) > 8 else ''})")  # fmt: skip
    if found:
        print(f"{len(found)} known vulnerabilities in {requirements}")
        return 1
    if skipped:
        return 2 if strict else 0
    print(f"audit passed: {audited} packages of {requirements}, no known vulnerabilities")
    return 0


if __name__ == "__main__":
    sys.exit(main())

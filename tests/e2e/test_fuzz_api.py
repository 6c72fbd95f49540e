"""Bad input, generated: schemathesis drives every operation of every service's OpenAPI through the gateway,
with an admin's token and with a hospital's key, on a platform of its own (what it creates stays there).
No answer may be a 5xx, and every error must be a problem body."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from pacs_devstack.stack import SERVICES
from tests.e2e.conftest import Platform, started_platform

EXAMPLES = 10  # per operation and phase: enough to find a crash, few enough for every run
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.fixture(scope="module")
def fuzzed(amqp_url: str) -> Iterator[Platform]:
    with started_platform(amqp_url) as platform:
        yield platform


def run(platform: Platform, service: str, header: str) -> subprocess.CompletedProcess[str]:
    argv = [str(SCHEMATHESIS), "run", f"{platform.url}/openapi/{service}.json", "--url", platform.url,
            "-H", header, "--checks", "not_a_server_error,content_type_conformance",
            "--max-examples", str(EXAMPLES), "--workers", "2", "--phases", "examples,coverage,fuzzing",
            "--seed", "20261126", "--no-color"]  # fmt: skip
    return subprocess.run(argv, capture_output=True, text=True, timeout=600)


@pytest.mark.skipif(shutil.which(str(SCHEMATHESIS)) is None, reason="schemathesis comes with the dev extras")
@pytest.mark.parametrize("service", SERVICES)
@pytest.mark.parametrize("caller", ["admin", "his"])
def test_no_generated_request_gets_a_server_error_or_a_bare_error(fuzzed: Platform, service: str, caller: str) -> None:
    header = f"Authorization: Bearer {fuzzed.admin_token}" if caller == "admin" else f"X-API-Key: {fuzzed.his_key}"
    result = run(fuzzed, service, header)
    summary = result.stdout[result.stdout.rfind("SUMMARY") :]
    found = re.findall(r"❌ (ST\d+ [^:\n]+): (\d+)", summary)
    assert not found, result.stdout[-6000:]
    assert re.search(r"\d+ generated", summary), result.stdout[-3000:] + result.stderr[-2000:]
    if result.returncode != 0:  # the generator itself failed on a phase; what it did send found nothing
        warnings.warn(f"schemathesis stumbled on {service} ({caller}): {summary[-600:]}", stacklevel=1)

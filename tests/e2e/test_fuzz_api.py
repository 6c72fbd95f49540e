"""Bad input, generated, through the gateway on a platform of its own (what it creates stays there): schemathesis
drives every operation of every service's OpenAPI with an admin's token and with a hospital's key; our own
boundary generator (boundaries.py) puts every field at and past its limit, sends bodies past each operation's
limit, and reads again after each accepted write. No answer may be a 5xx, and every error must be a problem body."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pacs_devstack.stack import SERVICES
from tests.e2e.boundaries import Case, cases, follow_ups
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


@pytest.mark.parametrize("service", SERVICES)
def test_every_field_at_and_past_its_limit_is_a_problem_and_the_platform_still_answers(
    fuzzed: Platform, service: str
) -> None:
    """The boundary cases of tests/e2e/boundaries.py for every operation; all failures are listed at once."""
    admin = {"Authorization": f"Bearer {fuzzed.admin_token}"}
    his = {"X-API-Key": fuzzed.his_key}
    failures: list[str] = []
    with httpx.Client(base_url=fuzzed.url, timeout=60) as client:
        document = client.get(f"/openapi/{service}.json").json()
        sent = 0
        for case in cases(document):
            response = _send(client, case, admin)
            if response.status_code in (401, 403):
                response = _send(client, case, his)
            sent += 1
            failures += _judge(case, response)
            if response.is_success and case.method != "get":
                for path, query in follow_ups(document, case, case.body):
                    read = client.get(path, params=query, headers=admin)
                    if read.status_code >= 500:
                        failures.append(f"{case.name}, then GET {path} {query}: {read.status_code} {read.text[:200]}")
    print(f"{service}: {sent} boundary requests")
    assert sent > 0
    assert not failures, "\n".join(failures)


def _send(client: httpx.Client, case: Case, headers: dict[str, str]) -> httpx.Response:
    content = case.raw
    if content is None and case.body is not None:
        content = json.dumps(case.body).encode()
    return client.request(case.method.upper(), case.path, params=case.params, content=content,
                          headers={**headers, "Content-Type": "application/json"})  # fmt: skip


def _judge(case: Case, response: httpx.Response) -> list[str]:
    found = []
    if response.status_code >= 500:
        found.append(f"{case.name}: {response.status_code} {response.text[:200]}")
    elif case.expect is not None and response.status_code != case.expect:
        found.append(f"{case.name}: {response.status_code}, expected {case.expect}")
    if response.status_code >= 400 and not response.headers.get("content-type", "").startswith(
        "application/problem+json"
    ):
        found.append(f"{case.name}: {response.status_code} without a problem body")
    return found

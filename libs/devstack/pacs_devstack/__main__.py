"""`make run`: the whole platform on this machine, with a demo estate; Ctrl-C stops what it started."""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
from pathlib import Path

from pacs_devstack.broker import ensure_broker
from pacs_devstack.seed import seed
from pacs_devstack.stack import ROOT, Stack, StackConfig


def _demo_env(stack: Stack, creds: object) -> str:
    values = {
        "GATEWAY_URL": stack.gateway_url,
        "HIS_API_KEY": creds.his_api_key,  # type: ignore[attr-defined]
        "HIS_SITE_ID": creds.his_site_id,  # type: ignore[attr-defined]
        "AGENT_TOKEN": creds.agent_token,  # type: ignore[attr-defined]
        "ADMIN_TOKEN": creds.admin_token,  # type: ignore[attr-defined]
        "NOTIFY_LOG": str(stack.notify_log),
        "CONSOLE_URL": f"{stack.gateway_url}/console/",
    }
    for prefix, (username, password) in creds.staff.items():  # type: ignore[attr-defined]
        values |= {f"{prefix}_USER": username, f"{prefix}_PASSWORD": password}
    return "".join(f"export {k}='{v}'\n" for k, v in values.items())


def main() -> int:
    amqp_url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
    run_dir = Path(os.environ.get("RUN_DIR", ROOT / ".run"))
    print(f"broker: {ensure_broker(amqp_url)} at {amqp_url.rsplit('@', 1)[-1]}")
    config = StackConfig(
        run_dir=run_dir,
        amqp_url=amqp_url,
        mongodb_url=os.environ.get("MONGODB_URL"),
        gateway_port=int(os.environ.get("GATEWAY_PORT", "8080")),
        gateway_rate=int(os.environ.get("GATEWAY_RATE", "200")),
        gateway_burst=int(os.environ.get("GATEWAY_BURST", "400")),
    )
    stack = Stack(config)
    stopping = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    try:
        stack.start()
        creds = seed(stack.gateway_url, stack.database_urls, config.namespace)
        prometheus = "not installed (make os-deps installs it)"
        if shutil.which("prometheus"):
            prometheus = stack.start_prometheus(int(os.environ.get("PROMETHEUS_PORT", "9090")))
        env_file = run_dir / "demo.env"
        env_file.write_text(_demo_env(stack, creds))
        print(
            f"""
PACS Service Ops is running.
  console        {stack.gateway_url}/console/   (staff pages: the demo accounts and passwords are in {env_file})
  gateway        {stack.gateway_url}   (OpenAPI: /openapi/<service>.json)
  notifications  {stack.notify_log}   (the demo 'log' channel: one JSON line per message)
  logs           {run_dir / "logs"}
  prometheus     {prometheus}   (the platform's metrics and alert rules; dashboards: deploy/grafana)
  credentials    {env_file}   (source it: GATEWAY_URL, HIS_API_KEY, HIS_SITE_ID, AGENT_TOKEN, ADMIN_TOKEN, NOTIFY_LOG,
                 and AGENT_USER/AGENT_PASSWORD, ENGINEER_…, SUPERVISOR_…, ADMIN_… for the console)

Report a fault as the hospital's HIS would:
  source {env_file}
  body='{{"site_id":"'$HIS_SITE_ID'","external_ref":"HIS-1001","code":"PACS-STORE-FAIL","description":"Archive down"}}'
  curl -s "$GATEWAY_URL/api/v1/faults" -H "X-API-Key: $HIS_API_KEY" -H 'Content-Type: application/json' -d "$body"
  tail -f "$NOTIFY_LOG"

Ctrl-C stops everything this started.""",
            flush=True,
        )
        stack.supervise_databases(stopping)
    except (RuntimeError, TimeoutError) as exc:
        print(f"make run failed: {exc}", file=sys.stderr)
        return 1
    finally:
        print("stopping ...", flush=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A hospital's own Prometheus Alertmanager, as a webhook receiver: its alerts feed the same breach model.

Point a receiver at `POST /api/v1/alertmanager` with the site's key as the bearer credential
(`http_config.authorization.credentials`). An alert's `alertname` is the rule, its `instance`
(without the port) or `host` label the host; `severity` and `problem_class` labels are used
when present. Firing opens a breach, resolved clears it, once per transition, held during a
maintenance window like any other breach.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime

from fastapi import APIRouter

from pacs_contracts.api import AlertmanagerAccepted, AlertmanagerAlert, AlertmanagerWebhook
from pacs_contracts.common import Severity
from pacs_kit.deps import KitDep, SiteKey
from pacs_kit.middleware import bulk_body
from pacs_kit.problems import Problem
from pacs_kit.uow import Tx
from pacs_monitoring.deps import DepsDep
from pacs_monitoring.domain.rules import Observation
from pacs_monitoring.usecases.breaches import settle

router = APIRouter(prefix="/api/v1/alertmanager", tags=["alertmanager"])
SEVERITIES = {"critical": Severity.critical, "error": Severity.major, "major": Severity.major,
              "warning": Severity.minor, "minor": Severity.minor, "info": Severity.minor}  # fmt: skip


def host_of(alert: AlertmanagerAlert) -> str:
    """The `host` label, else `instance` without its port; refused when neither is there."""
    host = alert.labels.get("host") or alert.labels.get("instance", "").rsplit(":", 1)[0]
    if not host:
        raise Problem(422, "Invalid request", f"alert {alert.labels['alertname']!r} has neither a host nor an "
                      "instance label", slug="invalid-request")  # fmt: skip
    return host


def observation(alert: AlertmanagerAlert) -> Observation:
    labels = alert.labels
    return Observation(
        host=host_of(alert),
        rule=labels["alertname"],
        problem_class=labels.get("problem_class", labels["alertname"]),
        severity=SEVERITIES.get(labels.get("severity", "").lower(), Severity.minor),
        value=_value(alert),
        threshold=1.0,  # the alert's own expression decided; 1 stands for "firing"
        firing=alert.status == "firing",
    )


def _value(alert: AlertmanagerAlert) -> float:
    """A numeric `value` annotation when the rule sets one, else 1 for firing and 0 for resolved."""
    try:
        value = float(alert.annotations.get("value", ""))
    except ValueError:
        return 1.0 if alert.status == "firing" else 0.0
    return value if math.isfinite(value) else 1.0


@router.post(
    "",
    status_code=202,
    response_model=AlertmanagerAccepted,
    summary="Alertmanager webhook (version 4)",
    openapi_extra=bulk_body(),
)  # a storm's groups
async def receive(payload: AlertmanagerWebhook, principal: SiteKey, deps: DepsDep, kit: KitDep) -> AlertmanagerAccepted:
    site_id = principal.site_id
    if site_id is None:
        raise Problem(403, "Forbidden", "an Alertmanager posts with a site key", slug="forbidden")
    for site in {alert.labels.get("site_id", site_id) for alert in payload.alerts}:
        principal.act_for_site(site)  # an alert labelled with another site is refused
    observations = [observation(alert) for alert in payload.alerts]

    async def work(tx: Tx) -> Counter[str]:
        return await settle(site_id, observations, datetime.now(UTC), tx, deps)

    counts = await kit.uow.run(work)
    return AlertmanagerAccepted(alerts=len(payload.alerts), breaches=counts["breaches"],
                                recoveries=counts["recoveries"], held=counts["held"])  # fmt: skip

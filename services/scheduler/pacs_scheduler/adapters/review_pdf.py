"""What the service review's PDF shows, as plain text for its template: times in the display zone, values in
words a hospital reads, a missing one as a dash."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pacs_contracts.api.reviews import ActionItem, ServiceReviewPublic
from pacs_scheduler.adapters.review_tables import Line, comparison, is_time, moment, sections, word
from pacs_scheduler.domain.review_rules import COUNTING_RULES, RULES_VERSION

INCIDENT = ("incident_id", "故障单 / Incident", None)
SITE = ("site_id", "医院 / Site", None)
# The columns each table of the PDF shows: (column, heading, the vocabulary its values are told in).
TABLES: dict[str, list[tuple[str, str, str | None]]] = {
    "incidents": [INCIDENT, SITE, ("severity", "严重程度 / Severity", "severity"),
                  ("channel", "渠道 / Channel", "channel"), ("problem_class", "类别 / Class", None),
                  ("opened_at", "开单 / Opened", None), ("tier", "级别 / Tier", None),
                  ("mtta_minutes", "响应分钟 / MTTA min", None),
                  ("mttr_minutes", "解决分钟 / MTTR min", None), ("response_met", "响应达标 / Response met", None),
                  ("on_site_met", "到场达标 / On site met", None), ("reopened", "重开 / Reopened", None)],
    "breaches": [INCIDENT, ("clock", "时钟 / Clock", "clock"), ("deadline", "截止时间 / Deadline", None),
                 ("breached_at", "超时于 / Breached at", None), ("reason", "原因 / Reason", None)],
    "escalations": [INCIDENT, ("from_tier", "自 / From", None), ("to_tier", "至 / To", None),
                    ("escalated_at", "时间 / At", None), ("reason", "原因 / Reason", None)],
    "downtime": [INCIDENT, SITE, ("cause", "原因 / Cause", "cause"), ("start", "开始 / Start", None),
                 ("end", "结束 / End", None), ("minutes", "分钟 / Minutes", None),
                 ("planned_minutes", "窗口内 / In windows", None), ("counted_minutes", "计入 / Counted", None)],
    "windows": [("window_id", "窗口 / Window", None), SITE, ("host", "主机 / Host", None),
                ("starts_at", "开始 / Starts", None), ("ends_at", "结束 / Ends", None),
                ("minutes", "期内分钟 / Minutes in period", None)],
    "pm_visits": [("visit_id", "巡检 / Visit", None), SITE, ("due_at", "到期 / Due", None),
                  ("status", "状态 / Status", "pm_status"), ("completed_at", "完成 / Done", None)],
    "findings": [("visit_id", "巡检 / Visit", None), ("text", "发现 / Finding", None),
                 ("severity", "严重程度 / Severity", "severity")],
    "capacity": [SITE, ("host", "主机 / Host", None), ("rule", "规则 / Rule", None),
                 ("exhausted_at", "预计耗尽 / Runs out", None), ("months_left", "剩余月数 / Months left", None)],
    "dicom": [SITE, ("host", "节点 / Node", None), ("down_minutes", "中断分钟 / Minutes down", None),
              ("availability_percent", "可用性 % / Availability %", None)],
    "software": [SITE, ("host", "主机 / Host", None), ("component", "组件 / Component", None),
                 ("installed_version", "已安装 / Installed", None),
                 ("latest_release", "最新发布 / Latest release", None), ("behind", "落后 / Behind", None)],
    "upgrades": [("campaign_id", "升级计划 / Campaign", None), SITE, ("release", "版本 / Release", None),
                 ("state", "状态 / State", None), ("window_starts_at", "窗口开始 / Window starts", None),
                 ("verified_at", "医院确认 / Verified", None)],
    "recurring": [("caused_by", "原因 / Cause", "cause"), ("product", "产品 / Product", None),
                  ("module", "模块 / Module", None), ("count", "次数 / Times", None),
                  ("incident_ids", "故障单 / Incidents", None)],
}  # fmt: skip
KEY_FIGURES = (
    "incidents", "mtta.mean", "mttr.mean", "response.percent", "on_site.percent", "availability.percent",
    "availability.commitment_percent", "availability.software_left_minutes", "pm.done", "pm.planned",
)  # fmt: skip
NO_SOFTWARE_DATA = {"no_data", "no data", "no data yet", "unavailable", "unknown"}


def context(review: ServiceReviewPublic, site_names: dict[str, str], zone: ZoneInfo) -> dict[str, Any]:
    """Everything the template shows, already in words."""
    figures = review.figures
    compared = comparison(review)
    groups = {g.key: {"title": g.title, "lines": [_line(line) for line in g.lines]} for g in compared}
    key_lines = [_line(line) for g in compared for line in g.lines if line.field in KEY_FIGURES]
    rows = sections(review) | {"recurring": review.recurring}
    rows["findings"] = [f for f in rows["findings"] if f.get("open")]  # closed ones are in the workbook
    several = len(review.site_ids) > 1

    def table(name: str) -> dict[str, Any]:
        spec = [c for c in TABLES[name] if c[0] != "site_id" or several]
        cells = [[_show(c, row.get(c), kind, zone, site_names) for c, _, kind in spec] for row in rows.get(name, [])]
        # Words ("Major / 重要"), yes/no and times wrap only between their languages, never inside a word or a time.
        whole = [kind is not None or is_time(c) or c.endswith(("_met", "open")) for c, _, kind in spec]
        return {"headers": [heading for _, heading, _ in spec], "rows": cells, "whole": whole}

    return {
        "sites": [{"site_id": s, "name": site_names.get(s, s)} for s in review.site_ids],
        "period": {
            "label": figures.period,
            "first": _day(figures.starts_at, zone),
            "last": _day(figures.ends_at - timedelta(microseconds=1), zone),
        },
        "periods": [figures.period, review.previous.period, review.year_before.period],
        "review": {
            "id": review.review_id,
            "state": review.state.value,
            "built_at": _when(review.built_at, zone),
            "approved": _signed(review.approved_by, review.approved_at, zone),
            "published": _when(review.published_at, zone) if review.published_at else None,
            "acknowledged": _signed(review.acknowledged_by, review.acknowledged_at, zone),
        },
        "zone": zone.key,
        "key_lines": key_lines,
        "groups": groups,
        "tables": {name: table(name) for name in TABLES},
        "dicom_breaches": figures.monitoring.dicom_breaches,
        "software": _software(review.software, zone),
        "holes": [[h.incident_id, word("hole", h.kind), h.detail, h.waived or "—"] for h in review.holes],
        "waived": sum(1 for h in review.holes if h.waived),
        "recommendations": review.recommendations,
        "actions": [_action(a) for a in review.actions],
        "previous_actions": [_action(a) for a in review.previous_actions],
        "rules": COUNTING_RULES,
        "rules_version": RULES_VERSION,
        "counted_under": review.rules_version,
    }


def _line(line: Line) -> dict[str, Any]:
    return {"label": line.label, "sub": line.sub, "values": [_number(v, line.digits) for v in line.values]}


def _number(value: Any, digits: int) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}" if isinstance(value, int | float) else str(value)


def _show(column: str, value: Any, kind: str | None, zone: ZoneInfo, site_names: dict[str, str]) -> str:
    if value is None or value == "":
        return "—"
    if is_time(column) or isinstance(value, datetime):
        return _when(moment(value), zone)
    if column == "site_id":
        return site_names.get(value, value)
    if isinstance(value, bool):
        return "是 / Yes" if value else "否 / No"
    if kind:
        return word(kind, value)
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(getattr(value, "value", value))


def _when(value: Any, zone: ZoneInfo) -> str:
    when = moment(value)
    return "—" if when is None else f"{when.astimezone(zone):%Y-%m-%d %H:%M}"


def _day(value: datetime, zone: ZoneInfo) -> str:
    return _when(value, zone)[:10]


def _signed(who: str | None, at: datetime | None, zone: ZoneInfo) -> str | None:
    return None if who is None and at is None else f"{who or '—'}, {_when(at, zone)}"


def _action(action: ActionItem) -> list[str]:
    return [action.text, action.owner, action.due_on.isoformat(), word("action", action.status)]


def _software(software: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """Versions and upgrades as key and value; none yet when the software lifecycle has not reported."""
    status = str(software.get("status", "")).strip().lower()
    no_data = not software or software.get("available") is False or status in NO_SOFTWARE_DATA
    note = software.get("note") or software.get("reason")
    items = [(key, _show(key, value, None, zone, {})) for key, value in software.items()
             if key not in ("available", "status", "note", "reason")]  # fmt: skip
    return {"no_data": no_data, "note": note, "items": [] if no_data else items}

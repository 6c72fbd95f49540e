"""A service review as bilingual tables: its figures beside the previous period and the year before, and the
rows behind them, with their times read as UTC. The workbook and the PDF both draw from here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pacs_contracts.api.reviews import Figures, ServiceReviewPublic
from pacs_contracts.checklist import SEVERITY_LABELS

# Each section of `rows`: its title (English, Chinese) and the columns it is known to have, in reading order.
SECTIONS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "incidents": ("Incidents", "故障", (
        "incident_id", "site_id", "severity", "channel", "problem_class", "opened_at", "acknowledged_at",
        "resolved_at", "mtta_minutes", "mttr_minutes", "response_due", "response_met", "on_site_due", "on_site_at",
        "on_site_met", "tier", "reopened", "caused_by", "product", "module")),
    "breaches": ("Breaches", "超时", ("incident_id", "clock", "deadline", "breached_at", "reason")),
    "escalations": ("Escalations", "升级", ("incident_id", "from_tier", "to_tier", "escalated_at", "reason")),
    "downtime": ("Downtime", "停机", ("incident_id", "site_id", "cause", "start", "end", "minutes",
                                    "planned_minutes", "counted_minutes")),
    "windows": ("Maintenance windows", "维护窗口", ("window_id", "site_id", "host", "starts_at", "ends_at",
                                                   "minutes")),
    "pm_visits": ("PM visits", "预防性维护巡检", ("visit_id", "site_id", "due_at", "status", "completed_at")),
    "findings": ("PM findings", "巡检发现", ("visit_id", "text", "severity", "open")),
    "monitoring": ("Monitoring breaches", "监控告警", ("site_id", "host", "rule", "problem_class", "breached_at",
                                                     "value", "threshold")),
    "capacity": ("Capacity forecasts", "容量预测", ("site_id", "host", "rule", "exhausted_at", "months_left")),
    "dicom": ("DICOM node availability", "DICOM 节点可用性", ("site_id", "host", "down_minutes",
                                                           "availability_percent")),
    "software": ("Installed software", "已安装软件", ("site_id", "host", "component", "installed_version",
                                                   "latest_release", "behind")),
    "upgrades": ("Upgrades", "升级", ("campaign_id", "site_id", "release", "state", "window_starts_at",
                                     "verified_at")),
}  # fmt: skip

# Words for the values the figures are broken down by, (English, Chinese); a value not here is shown as it is.
WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "severity": {severity.value: (english, chinese) for severity, (chinese, english) in SEVERITY_LABELS.items()},
    "channel": {"his": ("HIS", "医院信息系统"), "call": ("800 line", "800 热线"),
                "monitoring": ("Monitoring", "远程监控"), "pm": ("PM visit", "预防性维护"),
                "unknown": ("Unknown", "未知")},
    "cause": {"software": ("Software", "软件"), "hardware": ("Hardware", "硬件"), "network": ("Network", "网络"),
              "operator": ("Operator", "操作人员"), "third_party": ("Third party", "第三方"),
              "unknown": ("Unknown", "未知")},
    "clock": {"response": ("Response", "响应"), "on_site": ("On site", "到场")},
    "pm_status": {"planned": ("Planned", "已计划"), "due": ("Due", "待巡检"), "overdue": ("Overdue", "逾期"),
                  "completed": ("Done", "已完成"), "cancelled": ("Cancelled", "已取消")},
    "hole": {"no_root_cause": ("No root cause", "无根本原因"),
             "clock_never_stopped": ("Never acknowledged", "从未确认")},
    "action": {"open": ("Open", "进行中"), "done": ("Done", "已完成"), "dropped": ("Dropped", "已放弃")},
}  # fmt: skip


def words(kind: str, value: Any) -> tuple[str, str]:
    """A value in English and Chinese; one the vocabulary lacks, as it is in both."""
    key = str(getattr(value, "value", value))
    return WORDS[kind].get(key, (key, key))


def word(kind: str, value: Any) -> str:
    """A value in both languages, "Major / 重要"; one the vocabulary lacks, as it is."""
    if value is None:
        return "—"
    english, chinese = words(kind, value)
    return english if english == chinese else f"{english} / {chinese}"


@dataclass(frozen=True)
class Line:
    """One figure in the three periods: this one, the previous one and the same one a year before."""

    field: str  # where it is in `Figures`, for an analyst matching the workbook to the API
    label: str  # "Incidents / 故障数"
    values: tuple[Any, Any, Any]
    digits: int = 0  # decimals shown
    sheet: str | None = None  # the section of rows it counts
    sub: bool = False  # one part of the figure above it


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    lines: list[Line]


def comparison(review: ServiceReviewPublic) -> list[Group]:
    """Every figure of the review, grouped as the PDF's sections are, beside the previous period and the year before."""
    periods = (review.figures, review.previous, review.year_before)

    def line(field: str, label: str, get: Callable[[Figures], Any], digits: int = 0, sheet: str | None = None,
             sub: bool = False) -> Line:  # fmt: skip
        values = tuple(get(f) for f in periods)
        return Line(field, label, (values[0], values[1], values[2]), digits, sheet, sub)

    def breakdown(field: str, english: str, chinese: str, kind: str | None = None, digits: int = 0) -> list[Line]:
        def counts(f: Figures) -> dict[str, Any]:
            value: Any = f
            for part in field.split("."):
                value = getattr(value, part)
            return dict(value)

        def pick(key: str) -> Callable[[Figures], Any]:
            return lambda f: counts(f).get(key, 0)

        this = counts(periods[0])
        keys = sorted({k for f in periods for k in counts(f)}, key=lambda k: (-(this.get(k) or 0), k))
        if kind in ("severity", "cause"):
            order = list(WORDS[kind])
            keys.sort(key=lambda k: order.index(k) if k in order else len(order))
        labels = {k: words(kind, k) if kind else (k, k) for k in keys}
        return [
            line(f"{field}.{k}", f"{english}: {labels[k][0]} / {chinese}：{labels[k][1]}", pick(k), digits, sub=True)
            for k in keys
        ]

    return [
        Group("incidents", "Incident volume / 故障量", [
            line("incidents", "Incidents / 故障数", lambda f: f.incidents, sheet="incidents"),
            *breakdown("by_severity", "by severity", "按严重程度", "severity"),
            *breakdown("by_channel", "by channel", "按来源渠道", "channel"),
            *breakdown("by_problem_class", "by problem class", "按问题类别"),
            line("reopened", "Reopened incidents / 重开故障数", lambda f: f.reopened),
        ]),
        Group("times", "Response and resolution times / 响应与解决时间", [
            line("mtta.count", "Acknowledged incidents / 已确认故障数", lambda f: f.mtta.count),
            line("incidents − mtta.count", "Never acknowledged / 从未确认", lambda f: f.incidents - f.mtta.count),
            line("mtta.mean", "MTTA mean, contract min / 平均响应时间（合同分钟）", lambda f: f.mtta.mean, 1),
            line("mtta.median", "MTTA median, contract min / 响应时间中位数（合同分钟）", lambda f: f.mtta.median, 1),
            line("mtta.p90", "MTTA p90, contract min / 响应时间 P90（合同分钟）", lambda f: f.mtta.p90, 1),
            line("mttr.count", "Resolved incidents / 已解决故障数", lambda f: f.mttr.count),
            line("incidents − mttr.count", "Not resolved / 未解决", lambda f: f.incidents - f.mttr.count),
            line("mttr.mean", "MTTR mean, contract min / 平均解决时间（合同分钟）", lambda f: f.mttr.mean, 1),
            line("mttr.median", "MTTR median, contract min / 解决时间中位数（合同分钟）", lambda f: f.mttr.median, 1),
            line("mttr.p90", "MTTR p90, contract min / 解决时间 P90（合同分钟）", lambda f: f.mttr.p90, 1),
        ]),
        Group("compliance", "Compliance / 合规率", [
            line("response.applicable", "Response: applicable / 响应：适用数", lambda f: f.response.applicable),
            line("response.met", "Response: met / 响应：达标数", lambda f: f.response.met),
            line("response.breached", "Response: breached / 响应：超时数", lambda f: f.response.breached),
            line("response.percent", "Response compliance % / 响应合规率 %", lambda f: f.response.percent, 1),
            line("on_site.applicable", "On site: applicable / 到场：适用数", lambda f: f.on_site.applicable),
            line("on_site.met", "On site: met / 到场：达标数", lambda f: f.on_site.met),
            line("on_site.breached", "On site: breached / 到场：超时数", lambda f: f.on_site.breached),
            line("on_site.percent", "On-site compliance % / 到场合规率 %", lambda f: f.on_site.percent, 1),
        ]),
        Group("escalation", "Escalation / 升级", [
            line("sum(escalations_by_tier)", "Escalation steps / 升级次数",
                 lambda f: sum(f.escalations_by_tier.values()), sheet="escalations"),
            *breakdown("escalations_by_tier", "to tier", "升至级别"),
        ]),
        Group("availability", "Availability / 可用性", [
            line("availability.percent", "Availability % / 可用性 %", lambda f: f.availability.percent, 3),
            line("availability.commitment_percent", "Commitment % / 承诺可用性 %",
                 lambda f: f.availability.commitment_percent, 3),
            line("availability.period_minutes", "Period, min / 期间分钟数", lambda f: f.availability.period_minutes),
            line("availability.downtime_minutes", "Unplanned downtime, min / 计划外停机（分钟）",
                 lambda f: f.availability.downtime_minutes, 1),
            *breakdown("availability.downtime_by_cause", "by cause, min", "按原因（分钟）", "cause", 1),
            line("availability.planned_minutes", "Planned, inside windows, min / 维护窗口内停机（分钟）",
                 lambda f: f.availability.planned_minutes, 1),
            line("availability.software_budget_minutes", "Software budget per year, min / 年度软件停机额度（分钟）",
                 lambda f: f.availability.software_budget_minutes, 1),
            line("availability.software_used_minutes", "Software budget used, min / 已用额度（分钟）",
                 lambda f: f.availability.software_used_minutes, 1),
            line("availability.software_left_minutes", "Software budget left, min / 剩余额度（分钟）",
                 lambda f: f.availability.software_left_minutes, 1),
        ]),
        Group("pm", "Preventive maintenance / 预防性维护", [
            line("pm.planned", "PM visits planned / 计划巡检", lambda f: f.pm.planned, sheet="pm_visits"),
            line("pm.done", "PM visits done / 已完成巡检", lambda f: f.pm.done),
            line("pm.overdue", "PM visits overdue / 逾期巡检", lambda f: f.pm.overdue),
            line("pm.findings_open", "Open findings / 未关闭的发现", lambda f: f.pm.findings_open),
        ]),
        Group("monitoring", "Monitoring / 远程监控", [
            line("monitoring.breaches", "Monitoring breaches / 监控告警数", lambda f: f.monitoring.breaches,
                 sheet="monitoring"),
            line("monitoring.dicom_breaches", "DICOM breaches / DICOM 告警数", lambda f: f.monitoring.dicom_breaches),
            line("monitoring.dicom_nodes_down", "DICOM nodes down / 曾中断的 DICOM 节点",
                 lambda f: f.monitoring.dicom_nodes_down, sheet="dicom"),
            line("monitoring.dicom_down_minutes", "DICOM minutes down / DICOM 中断分钟",
                 lambda f: f.monitoring.dicom_down_minutes),
            *breakdown("monitoring.by_rule", "by rule", "按规则"),
        ]),
    ]  # fmt: skip


def columns(section: str, rows: list[dict[str, Any]]) -> list[str]:
    """A section's columns: the known ones its rows have (all of them when it has none), then any others."""
    known = SECTIONS.get(section, ("", "", ()))[2]
    present = [c for c in known if not rows or any(c in r for r in rows)]
    for row in rows:
        present += [k for k in row if k not in present]
    return present


def sections(review: ServiceReviewPublic) -> dict[str, list[dict[str, Any]]]:
    """Every known section, empty where the review has none, then any other section it has, in order."""
    return {name: review.rows.get(name, []) for name in [*SECTIONS, *(k for k in review.rows if k not in SECTIONS)]}


def is_time(column: str) -> bool:
    return column in ("start", "end", "deadline") or column.endswith(("_at", "_due"))


def moment(value: Any) -> datetime | None:
    """A time from a row, an ISO 8601 text or a datetime, in UTC; a naive one is taken as UTC, as stored."""
    if value is None or value == "":
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def title(section: str) -> str:
    english, chinese, _ = SECTIONS.get(section, (section, "", ()))
    return f"{english} / {chinese}" if chinese else english

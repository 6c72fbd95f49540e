import csv
import io
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest_asyncio
from openpyxl import load_workbook
from pypdf import PdfReader

from pacs_contracts.api.reviews import ServiceReviewPublic
from pacs_scheduler.adapters.review_charts import monthly_response
from pacs_scheduler.adapters.review_documents import render_csv, render_pdf, render_xlsx
from pacs_scheduler.domain.review_rules import COUNTING_RULES, RULES_VERSION

ZONE = "Asia/Shanghai"
SITES = {"SITE-RJ": "Ruijin Hospital 瑞金医院"}
RECOMMENDATION = "建议在第四季度前扩容归档存储。Extend the archive before Q4: it runs out in about two months."


def _incident(n: int, opened: Any, severity: str, channel: str, met: bool | None, **extra: Any) -> dict[str, Any]:
    return {
        "incident_id": f"INC-{n}", "site_id": "SITE-RJ", "severity": severity, "channel": channel,
        "problem_class": "storage", "opened_at": opened, "acknowledged_at": None, "resolved_at": None,
        "mtta_minutes": None, "mttr_minutes": None, "response_due": None, "response_met": met, "on_site_due": None,
        "on_site_at": None, "on_site_met": None, "tier": "L1", "reopened": 0, "caused_by": None, "product": None,
        "module": None,
    } | extra  # fmt: skip


# Times come as ISO texts (with Z or an offset) and as datetimes: the documents take both.
INCIDENTS = [
    # 17:00 UTC on 30 June is 01:00 on 1 July in Shanghai: the quarter's first incident, counted in July.
    _incident(1, "2026-06-30T17:00:00Z", "major", "his", True, acknowledged_at="2026-06-30T17:20:00Z",
              resolved_at="2026-06-30T21:00:00Z", mtta_minutes=20.0, mttr_minutes=240.0, tier="L2",
              caused_by="hardware", product="PACS Archive", module="storage"),
    _incident(2, datetime(2026, 7, 20, 2, 0, tzinfo=UTC), "critical", "call", False,
              acknowledged_at=datetime(2026, 7, 20, 4, 30, tzinfo=UTC),
              resolved_at=datetime(2026, 7, 20, 9, tzinfo=UTC),
              mtta_minutes=150.0, mttr_minutes=420.0, on_site_due=datetime(2026, 7, 20, 8, tzinfo=UTC),
              on_site_at=datetime(2026, 7, 20, 7, tzinfo=UTC), on_site_met=True, tier="L3", reopened=1,
              caused_by="software", product="PACS Viewer", module="hanging protocols"),
    _incident(3, "2026-08-05T03:00:00Z", "minor", "monitoring", True, problem_class="dicom_node",
              acknowledged_at="2026-08-05T03:10:00Z", resolved_at="2026-08-05T04:00:00Z", mtta_minutes=10.0,
              mttr_minutes=60.0, caused_by="hardware", product="PACS Archive", module="storage"),
    _incident(4, "2026-08-28T06:00:00Z", "major", "his", False, problem_class="database"),
    _incident(5, "2026-09-10T06:00:00+08:00", "minor", "pm", True, acknowledged_at="2026-09-09T22:30:00Z",
              resolved_at="2026-09-10T01:00:00Z", mtta_minutes=30.0, mttr_minutes=60.0),
]  # fmt: skip

ROWS: dict[str, list[dict[str, Any]]] = {
    "incidents": INCIDENTS,
    "breaches": [
        {"incident_id": "INC-2", "clock": "response", "deadline": "2026-07-20T04:00:00Z",
         "breached_at": "2026-07-20T04:00:00Z", "reason": "=HYPERLINK(\"http://x\") viewer hangs on large CT series"},
        {"incident_id": "INC-4", "clock": "response", "deadline": "2026-08-28T08:00:00Z",
         "breached_at": "2026-08-28T08:00:00Z", "reason": "数据库锁等待 nobody answered"},
    ],
    "escalations": [
        {"incident_id": "INC-1", "from_tier": "L1", "to_tier": "L2", "escalated_at": "2026-06-30T19:00:00Z",
         "reason": "ladder"},
        {"incident_id": "INC-2", "from_tier": "L1", "to_tier": "L2", "escalated_at": "2026-07-20T04:00:00Z",
         "reason": "ladder"},
        {"incident_id": "INC-2", "from_tier": "L2", "to_tier": "L3", "escalated_at": "2026-07-20T06:00:00Z",
         "reason": "needs the regional expert"},
    ],
    "downtime": [
        {"incident_id": "INC-2", "site_id": "SITE-RJ", "cause": "software", "start": "2026-07-20T02:00:00Z",
         "end": "2026-07-20T03:30:00Z", "minutes": 90.0, "planned_minutes": 30.0},
    ],
    "windows": [
        {"window_id": "MW-1", "site_id": "SITE-RJ", "host": "pacs-db-1", "starts_at": "2026-07-20T02:00:00Z",
         "ends_at": "2026-07-20T02:30:00Z", "minutes": 30.0},
    ],
    "pm_visits": [
        {"visit_id": "PM-1", "site_id": "SITE-RJ", "due_at": "2026-07-15T00:00:00Z", "status": "completed",
         "completed_at": "2026-07-14T02:30:00Z"},
        {"visit_id": "PM-2", "site_id": "SITE-RJ", "due_at": "2026-09-15T00:00:00Z", "status": "overdue",
         "completed_at": None},
    ],
    "findings": [
        {"visit_id": "PM-1", "text": "归档存储使用率 88 % archive nearly full", "severity": "major", "open": True},
        {"visit_id": "PM-1", "text": "Fan replaced", "severity": "minor", "open": False},
    ],
    "monitoring": [
        {"site_id": "SITE-RJ", "host": "pacs-ar-1", "rule": "archive-capacity", "problem_class": "storage",
         "breached_at": "2026-07-02T00:00:00Z", "value": 91.0, "threshold": 90.0},
        {"site_id": "SITE-RJ", "host": "pacs-ar-1", "rule": "archive-capacity", "problem_class": "storage",
         "breached_at": "2026-08-02T00:00:00Z", "value": 92.5, "threshold": 90.0},
        {"site_id": "SITE-RJ", "host": "modality-ct1", "rule": "dicom-node-down", "problem_class": "dicom_node",
         "breached_at": "2026-08-05T02:58:00Z", "value": 0.0, "threshold": 0.0},
    ],
    "capacity": [
        {"site_id": "SITE-RJ", "host": "pacs-ar-1", "rule": "archive-capacity",
         "exhausted_at": "2026-12-01T00:00:00Z", "months_left": 2.0},
    ],
}  # fmt: skip


def make_figures(period: str, starts_at: datetime, ends_at: datetime, **overrides: Any) -> dict[str, Any]:
    figures = {
        "period": period, "starts_at": starts_at, "ends_at": ends_at, "incidents": 5,
        "by_severity": {"critical": 1, "major": 2, "minor": 2},
        "by_channel": {"call": 1, "his": 2, "monitoring": 1, "pm": 1},
        "by_problem_class": {"database": 1, "dicom_node": 1, "storage": 3},
        "mtta": {"count": 4, "mean": 52.5, "median": 25.0, "p90": 150.0},
        "mttr": {"count": 4, "mean": 195.0, "median": 150.0, "p90": 420.0},
        "response": {"applicable": 5, "met": 3, "breached": 2, "percent": 60.0},
        "on_site": {"applicable": 1, "met": 1, "breached": 0, "percent": 100.0},
        "escalations_by_tier": {"L2": 2, "L3": 1}, "reopened": 1,
        "availability": {
            "commitment_percent": 99.9, "period_minutes": 132480.0, "downtime_minutes": 60.0,
            "downtime_by_cause": {"software": 60.0}, "percent": 99.9547, "planned_minutes": 30.0,
            "software_budget_minutes": 240.0, "software_used_minutes": 75.0, "software_left_minutes": 165.0,
        },
        "pm": {"planned": 2, "done": 1, "overdue": 1, "findings_open": 1},
        "monitoring": {"breaches": 3, "by_rule": {"archive-capacity": 2, "dicom-node-down": 1}, "dicom_breaches": 1},
    }  # fmt: skip
    return figures | overrides


def make_review(**overrides: Any) -> ServiceReviewPublic:
    review = {
        "review_id": "REV-SITE-RJ-2026Q3", "site_ids": ["SITE-RJ"], "period": "2026Q3",
        "rules_version": RULES_VERSION, "state": "draft", "built_at": datetime(2026, 10, 1, 1, 0, tzinfo=UTC),
        "figures": make_figures("2026Q3", datetime(2026, 6, 30, 16, tzinfo=UTC), datetime(2026, 9, 30, 16, tzinfo=UTC)),
        "previous": make_figures(
            "2026Q2", datetime(2026, 3, 31, 16, tzinfo=UTC), datetime(2026, 6, 30, 16, tzinfo=UTC), incidents=7,
            by_severity={"major": 4, "minor": 3}, mttr={"count": 7, "mean": 310.0, "median": 200.0, "p90": 600.0},
        ),
        "year_before": make_figures(
            "2025Q3", datetime(2025, 6, 30, 16, tzinfo=UTC), datetime(2025, 9, 30, 16, tzinfo=UTC), incidents=9,
            by_severity={"critical": 2, "major": 4, "minor": 3}, reopened=3,
        ),
        "rows": ROWS,
        "recurring": [{"caused_by": "hardware", "product": "PACS Archive", "module": "storage", "count": 2,
                       "incident_ids": ["INC-1", "INC-3"]}],
        "software": {"available": False, "note": "the software lifecycle does not report versions yet"},
        "holes": [
            {"incident_id": "INC-4", "kind": "no_root_cause", "detail": "not resolved: no root cause"},
            {"incident_id": "INC-4", "kind": "clock_never_stopped", "detail": "never acknowledged",
             "waived": "the hospital withdrew the call"},
        ],
        "recommendations": [RECOMMENDATION, "Replace the HA heartbeat NIC."],
        "actions": [{"text": "Extend the archive by 40 TB", "owner": "Zhang Wei (vendor)",
                     "due_on": date(2026, 11, 15)}],
        "previous_actions": [{"text": "Train the night shift on the 800 line", "owner": "Hospital IT 信息科",
                              "due_on": date(2026, 8, 1), "status": "done"}],
    }  # fmt: skip
    return ServiceReviewPublic.model_validate(review | overrides)


def empty_review() -> ServiceReviewPublic:
    return make_review(rows={}, recurring=[], software={}, holes=[], recommendations=[], actions=[],
                       previous_actions=[])  # fmt: skip


@pytest_asyncio.fixture(scope="module")
async def pdf() -> PdfReader:
    return PdfReader(io.BytesIO(await render_pdf(make_review(), SITES, ZONE)))


def _text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def test_csv_is_one_table_with_every_row_of_every_section() -> None:
    data = render_csv(make_review())
    assert data.startswith("\ufeff".encode()), "a BOM, so Excel reads the Chinese as UTF-8"
    lines = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    for section, rows in ROWS.items():
        assert sum(1 for line in lines if line["section"] == section) == len(rows), section
    first = next(line for line in lines if line["incident_id"] == "INC-5" and line["section"] == "incidents")
    assert first["opened_at"] == "2026-09-09T22:00:00Z", "+08:00 written in UTC"
    assert first["response_met"] == "TRUE"
    assert any("数据库锁等待" in line["reason"] for line in lines)
    formula = next(line for line in lines if line["reason"].lstrip("'").startswith("=HYPERLINK"))
    assert formula["reason"].startswith("'="), "typed text is never run as a formula"


def test_xlsx_summary_counts_are_the_rows_of_their_sheets_and_times_are_datetimes() -> None:
    book = load_workbook(io.BytesIO(render_xlsx(make_review(), SITES)))
    assert book.sheetnames[0] == "Summary" and set(ROWS) <= set(book.sheetnames)
    summary = {row[0]: row[1:] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["Incidents / 故障数"][:3] == (5, 7, 9), "this period, the previous one, the year before"
    assert summary["Incidents / 故障数"][0] == book["incidents"].max_row - 1
    assert summary["Monitoring breaches / 监控告警数"][0] == book["monitoring"].max_row - 1
    assert summary["PM visits planned / 计划巡检"][0] == book["pm_visits"].max_row - 1
    assert summary["Escalation steps / 升级次数"][0] == book["escalations"].max_row - 1
    assert "Ruijin Hospital 瑞金医院 (SITE-RJ)" in summary["Hospital / 医院"]
    incidents = book["incidents"]
    header = [cell.value for cell in incidents[1]]
    opened = incidents.cell(row=6, column=header.index("opened_at (UTC)") + 1).value
    assert opened == datetime(2026, 9, 9, 22, 0), "a real Excel datetime, in UTC as its header says"
    assert incidents.cell(row=2, column=header.index("site_name") + 1).value == "Ruijin Hospital 瑞金医院"
    breaches = book["breaches"]
    reasons = [row[-1] for row in breaches.iter_rows(min_row=2, values_only=True)]
    assert reasons[0].startswith("=HYPERLINK") and breaches["E2"].data_type == "s", "text, not a formula"


async def test_pdf_has_every_section_in_both_languages_and_the_figures(pdf: PdfReader) -> None:
    text = _text(pdf)
    headings = [
        ("服务回顾报告", "Service Review"), ("故障", "Incidents"), ("响应与解决时间", "MTTA and MTTR"),
        ("响应与到场合规", "Response and on-site compliance"), ("超时及原因", "Breaches and reasons"),
        ("升级", "Escalations by tier"), ("可用性", "Availability"), ("停机明细", "Downtime by cause"),
        ("计划维护窗口", "Planned maintenance windows"), ("预防性维护", "Preventive maintenance"),
        ("未关闭的发现", "Open findings"), ("远程监控", "Monitoring"), ("容量预测", "Capacity forecasts"),
        ("软件", "Software"), ("反复出现的问题", "Top recurring problems"), ("数据缺口与豁免", "Holes and waivers"),
        ("建议", "Recommendations"), ("行动项", "Action items"), ("上期行动项", "Previous review's actions"),
        ("统计规则", "Counting rules"),
    ]  # fmt: skip
    missing = [pair for pair in headings if not all(part in text for part in pair)]
    assert not missing, f"headings not in the PDF text: {missing}"
    assert "Ruijin Hospital" in text and "瑞金医院" in text
    assert "2026-07-01 – 2026-09-30" in text, "the quarter in Shanghai's calendar"
    for figure in ("60.0", "100.0", "99.955", "99.900", "165.0", "52.5", "195.0", "310.0"):
        assert figure in text, figure
    assert "本期 / This" in text and "上期 / Previous" in text and "去年同期 / Year before" in text
    assert "建议在第四季度前扩容归档存储" in text
    assert "Zhang Wei (vendor)" in text and "2026-11-15" in text
    assert "Train the night shift" in text and "Done / 已完成" in text
    assert "the hospital withdrew the call" in text and "viewer hangs on large CT" in text
    assert "暂无数据 / No data yet" in text, "software says it has no data"
    assert "2026-07-01 01:00" in text, "times in the hospital's zone"
    assert COUNTING_RULES[0][1][:10] in text


async def test_pdf_holds_the_three_charts(pdf: PdfReader) -> None:
    # WeasyPrint lists the document's images on every page: one of each is what was drawn.
    images = {image.name: image for page in pdf.pages for image in page.images}
    assert len(images) == 3, "trend, monthly response compliance, availability against commitment"
    assert all(image.image is not None and image.image.width > 600 for image in images.values())


def test_response_compliance_is_counted_in_the_local_month_an_incident_opened() -> None:
    review = make_review()
    tally = monthly_response(INCIDENTS, review.figures.starts_at, review.figures.ends_at, ZoneInfo(ZONE))
    assert tally == [("2026-07", 1, 2), ("2026-08", 1, 2), ("2026-09", 1, 1)]


async def test_an_empty_review_still_renders_every_document_and_says_none() -> None:
    review = empty_review()
    text = _text(PdfReader(io.BytesIO(await render_pdf(review, SITES, ZONE))))
    assert text.count("无 / None") >= 10 and "暂无数据 / No data yet" in text
    header, *lines = csv.reader(io.StringIO(render_csv(review).decode("utf-8-sig")))
    assert header[0] == "section" and "incident_id" in header and lines == []
    book = load_workbook(io.BytesIO(render_xlsx(review, {})))
    assert book["incidents"].max_row == 1, "the header only"
    sheets = {row[0]: row[1:] for row in book["Summary"].iter_rows(values_only=True) if row[0]}
    assert sheets["incidents"][:3] == (0, "Incidents / 故障", "none / 无")

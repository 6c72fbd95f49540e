import io
from datetime import UTC, datetime
from typing import Any

import pytest
from pypdf import PdfReader

from pacs_contracts.api import ChecklistEntry, ChecklistItem, CheckResult, PmStatus, PmVisitPublic
from pacs_contracts.checklist import LABELS, RESULT_LABELS, SEVERITY_LABELS
from pacs_contracts.common import Severity
from pacs_scheduler.adapters.report import render_html, render_pdf
from pacs_scheduler.domain.checklist import in_order

SITE = {"site_id": "SITE-RJ", "name": "Ruijin Hospital 瑞金医院", "time_zone": "Asia/Shanghai"}
NOTED = {
    ChecklistItem.server_load: (CheckResult.ok, "18 % (peak 41 %)", None),
    ChecklistItem.system_disk: (CheckResult.attention, "87 %", "D: holds old study caches"),
    ChecklistItem.ha_state: (CheckResult.fault, "node B standby lost", "heartbeat link down <script>alert(1)</script>"),
    ChecklistItem.database_backups: (CheckResult.ok, "last backup 03:10", None),
    ChecklistItem.tablespace_use: (CheckResult.attention, "USERS 91 %", "grow before next quarter"),
}


def _entry(item: ChecklistItem) -> dict[str, Any]:
    result, value, note = NOTED.get(item, (CheckResult.ok, "normal", None))
    return {"item": item, "result": result, "value": value, "note": note}


def make_visit(**overrides: Any) -> PmVisitPublic:
    # Sent in reverse: the report must put them back in the check list's order.
    entries = [_entry(item) for item in reversed(ChecklistItem)]
    completion = {
        "engineer_id": "eng.zhang",
        "completed_at": datetime(2026, 3, 14, 2, 30, tzinfo=UTC),
        "system": "PACS 7.2 with RIS",
        "checklist": entries,
        "findings": "Heartbeat link between the HA nodes is down.\n系统盘使用率偏高。",
        "actions": "Cleared 40 GB of expired caches; reseated the heartbeat cable.",
        "follow_ups": [
            {"text": "Replace the HA heartbeat NIC", "open_incident": True, "severity": Severity.major},
            {"text": "Extend the USERS tablespace", "open_incident": False},
        ],
        "hospital_signatory": "Dr. Li Wei 李伟",
    }
    visit = {
        "visit_id": "PM-SITE-RJ-20260315000000",
        "site_id": "SITE-RJ",
        "engineer_id": "eng.zhang",
        "due_at": datetime(2026, 3, 15, tzinfo=UTC),
        "notify_at": datetime(2026, 3, 1, tzinfo=UTC),
        "overdue_at": datetime(2026, 3, 29, tzinfo=UTC),
        "status": PmStatus.completed,
        "completion": completion,
        "completed_at": datetime(2026, 3, 14, 2, 30, tzinfo=UTC),
    }
    return PmVisitPublic.model_validate(visit | overrides)


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_every_check_list_item_result_and_severity_has_both_labels() -> None:
    for labels, enum in ((LABELS, ChecklistItem), (RESULT_LABELS, CheckResult), (SEVERITY_LABELS, Severity)):
        assert set(labels) == set(enum)
        assert all(chinese.strip() and english.isascii() for chinese, english in labels.values())


def test_entries_come_back_in_check_list_order() -> None:
    entries = [ChecklistEntry(item=item, result=CheckResult.ok) for item in reversed(ChecklistItem)]
    assert [entry.item for entry in in_order(entries)] == list(ChecklistItem)


def test_html_has_every_label_in_order_and_the_site_in_its_local_time() -> None:
    html = render_html(make_visit(), SITE)
    positions = [html.index(LABELS[item][1]) for item in ChecklistItem]
    assert positions == sorted(positions), "the table follows the check list's order"
    assert all(chinese in html for chinese, _ in LABELS.values())
    assert "Ruijin Hospital 瑞金医院" in html and "SITE-RJ" in html
    assert "2026-03-14 10:30" in html, "02:30 UTC is 10:30 in Shanghai"
    assert "需关注 / Attention" in html and "故障 / Fault" in html
    assert "已开事件单 / Incident opened" in html and "Dr. Li Wei 李伟" in html


def test_user_text_is_escaped() -> None:
    html = render_html(make_visit(), SITE)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_visit_not_completed_has_no_report() -> None:
    with pytest.raises(ValueError, match="not completed"):
        render_html(make_visit(status=PmStatus.due, completion=None, completed_at=None), SITE)


async def test_pdf_is_valid_and_its_text_has_the_site_and_every_item() -> None:
    pdf = await render_pdf(render_html(make_visit(), SITE))
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "Ruijin Hospital" in text and "瑞金医院" in text
    missing = [english for _, english in LABELS.values() if english not in text]
    assert not missing, f"not in the PDF text: {missing}"
    chinese = [label for label, _ in LABELS.values() if label in text]
    assert len(chinese) >= 10, f"only {chinese} of the Chinese labels came out of the PDF"
    for heading in ("Findings", "Actions taken", "Follow-ups", "Sign-off", "预防性维护报告"):
        assert heading in text
    assert "Page 1" in text and "第 1 页" in text

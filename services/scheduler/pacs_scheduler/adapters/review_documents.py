"""The documents of a service review: the raw rows as CSV, a workbook for analysts, and the bilingual A4 PDF."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import datetime
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from pacs_contracts.api.reviews import ServiceReviewPublic
from pacs_scheduler.adapters import report, review_charts
from pacs_scheduler.adapters.review_pdf import context
from pacs_scheduler.adapters.review_tables import columns, comparison, is_time, moment, sections, title

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula
HEADER = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="2B4C7E")
GROUP_FILL = PatternFill("solid", fgColor="EEF2F8")
WHEN = "yyyy-mm-dd hh:mm:ss"


def render_csv(review: ServiceReviewPublic) -> bytes:
    """Every row behind the figures as one long table, the layout an analyst filters or pivots: `section` first,
    then the columns of all sections (blank where a section has no such column), one line per row, section after
    section (incidents, breaches, escalations, downtime, windows, pm_visits, findings, monitoring, capacity, then any
    other), so `df[df.section == "breaches"].dropna(axis=1, how="all")` gives a section back. Times are
    ISO 8601 in UTC ("2026-07-03T01:20:00Z"), booleans TRUE/FALSE, lists and maps JSON; text that begins like a
    formula gets a leading apostrophe so no spreadsheet runs it. UTF-8 with a BOM, so Excel reads the Chinese."""
    data = sections(review)
    header = ["section"]
    for name, rows in data.items():
        header += [c for c in columns(name, rows) if c not in header]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for name, rows in data.items():
        writer.writerows([name, *(_csv_value(c, row.get(c)) for c in header[1:])] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def render_xlsx(review: ServiceReviewPublic, site_names: dict[str, str]) -> bytes:
    """A workbook: "Summary", every figure beside the previous period and the year before with the sheet that
    holds its rows; then one sheet per section, named as in `review.rows`, with its header and rows (times as
    Excel datetimes in UTC, the header says so)."""
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    data = sections(review)
    _summary(summary, review, site_names, data)
    for name, rows in data.items():
        _rows_sheet(book.create_sheet(name[:31]), name, rows, site_names)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def render_html(review: ServiceReviewPublic, site_names: dict[str, str], zone: str) -> str:
    """The review as one HTML document with its charts inline, its times in `zone`."""
    tz = ZoneInfo(zone)
    charts = {
        "trend": review_charts.trend(review),
        "monthly": review_charts.compliance_by_month(review, tz),
        "availability": review_charts.availability(review),
    }
    return report.template("service_review.html").render(**context(review, site_names, tz), charts=charts)


async def render_pdf(review: ServiceReviewPublic, site_names: dict[str, str], zone: str) -> bytes:
    """The review as a bilingual A4 PDF; charts and layout are CPU-bound, so both run in worker threads."""
    html = await asyncio.to_thread(render_html, review, site_names, zone)
    return await report.render_pdf(html)


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def _csv_value(column: str, value: Any) -> str:
    if value is None:
        return ""
    if is_time(column) or isinstance(value, datetime):
        when = moment(value)
        return when.isoformat().replace("+00:00", "Z") if when else ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    value = _plain(value)
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    return str(value)


def _cell(column: str, value: Any) -> Any:
    if is_time(column) or isinstance(value, datetime):
        when = moment(value)
        return when.replace(tzinfo=None) if when else None
    return _plain(value)


def _put(sheet: Worksheet, row: int, values: list[Any], *, formats: dict[int, str] | None = None) -> None:
    for number, value in enumerate(values, start=1):
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters a workbook cannot hold
        cell = sheet.cell(row=row, column=number, value=value)
        if isinstance(value, str) and value.startswith("="):
            cell.data_type = "s"  # typed text, never a formula
        if isinstance(value, datetime):
            cell.number_format = WHEN
        elif formats and number in formats:
            cell.number_format = formats[number]


def _style_header(sheet: Worksheet, row: int) -> None:
    for cell in sheet[row]:
        cell.font, cell.fill = HEADER, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")


def _summary(
    sheet: Worksheet, review: ServiceReviewPublic, site_names: dict[str, str], data: dict[str, list[dict[str, Any]]]
) -> None:
    figures = review.figures
    sites = "; ".join(f"{site_names.get(s, s)} ({s})" for s in review.site_ids)
    head: list[list[Any]] = [
        ["Service review / 服务回顾"],
        ["Hospital / 医院", sites],
        ["Period / 统计期间", figures.period],
        ["Starts, UTC / 开始（UTC）", _cell("starts_at", figures.starts_at)],
        ["Ends (exclusive), UTC / 结束（不含，UTC）", _cell("ends_at", figures.ends_at)],
        ["Review / 编号", review.review_id],
        ["State / 状态", review.state.value],
        ["Rules version / 统计规则版本", review.rules_version],
        ["Built at, UTC / 生成时间（UTC）", _cell("built_at", review.built_at)],
    ]
    for number, values in enumerate(head, start=1):
        _put(sheet, number, values)
    sheet["A1"].font = Font(bold=True, size=14)
    row = len(head) + 2
    periods = (figures.period, review.previous.period, review.year_before.period)
    headings = ("This period / 本期", "Previous / 上期", "Year before / 去年同期")
    _put(sheet, row, ["Figure / 指标", *(f"{h} {p}" for h, p in zip(headings, periods, strict=True)), "Field / 字段",
                      "Rows in sheet / 明细表"])  # fmt: skip
    _style_header(sheet, row)
    sheet.freeze_panes = sheet.cell(row=row + 1, column=2)
    for group in comparison(review):
        row += 1
        _put(sheet, row, [group.title])
        for cell in sheet[row][:6]:
            cell.fill, cell.font = GROUP_FILL, Font(bold=True)
        for line in group.lines:
            row += 1
            number_format = "0" if line.digits == 0 else "0." + "0" * line.digits
            _put(sheet, row, [line.label, *line.values, line.field, line.sheet],
                 formats={2: number_format, 3: number_format, 4: number_format})  # fmt: skip
            sheet.cell(row=row, column=1).alignment = Alignment(indent=2 if line.sub else 0)
    row += 2
    _put(sheet, row, ["Sheet / 明细表", "Rows / 行数", "Section / 内容"])
    _style_header(sheet, row)
    for name, rows in data.items():
        row += 1
        _put(sheet, row, [name[:31], len(rows), title(name), "" if rows else "none / 无"])
    for letter, width in zip("ABCDEF", (50, 20, 20, 20, 34, 16), strict=True):
        sheet.column_dimensions[letter].width = width


def _rows_sheet(sheet: Worksheet, name: str, rows: list[dict[str, Any]], site_names: dict[str, str]) -> None:
    keys = columns(name, rows)
    if "site_id" in keys:  # the hospital's name beside its id, for a reader who does not know the ids
        keys.insert(keys.index("site_id") + 1, "site_name")
        rows = [{**row, "site_name": site_names.get(row.get("site_id") or "")} for row in rows]
    _put(sheet, 1, [f"{key} (UTC)" if is_time(key) else key for key in keys])
    _style_header(sheet, 1)
    for number, row in enumerate(rows, start=2):
        _put(sheet, number, [_cell(key, row.get(key)) for key in keys])
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for index, key in enumerate(keys, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = 20 if is_time(key) else 16

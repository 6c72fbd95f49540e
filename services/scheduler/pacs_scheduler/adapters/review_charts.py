"""The charts of a service review, drawn by matplotlib (Agg) as PNG data URIs for the PDF, titled in both languages."""

from __future__ import annotations

import base64
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import matplotlib
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pacs_contracts.api.reviews import ServiceReviewPublic
from pacs_scheduler.adapters.review_tables import moment

# The same CJK fonts as the report's CSS, in its order: `make os-deps` and the image install WenQuanYi Micro Hei.
CJK_FONTS = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC", "Noto Sans SC")
BLUE, GREY, RED = "#2b4c7e", "#9aa8bd", "#c62828"
PERIODS = ("去年同期\nYear before", "上期\nPrevious", "本期\nThis period")

# rcParams are global to the process and reports are drawn in worker threads: one chart at a time.
_drawing = threading.Lock()


@cache
def cjk_font() -> str:
    """The first CJK font matplotlib can find; without one the Chinese would print as boxes, so it is an error."""
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    for name in CJK_FONTS:
        if name in installed:
            return name
    raise RuntimeError(f"no CJK font for the review's charts (one of {', '.join(CJK_FONTS)}): run `make os-deps`")


@contextmanager
def _figure(title: str) -> Iterator[tuple[Figure, Axes]]:
    style = matplotlib.rc_context({"font.family": [cjk_font(), "DejaVu Sans"], "font.size": 8,
                                   "axes.unicode_minus": False, "axes.spines.top": False,
                                   "axes.spines.right": False})  # fmt: skip
    with _drawing, style:
        figure = Figure(figsize=(7.0, 2.6), dpi=200)
        FigureCanvasAgg(figure)
        axes = figure.subplots()
        axes.set_title(title, fontsize=9.5, color=BLUE)
        yield figure, axes


def _uri(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def _labels(review: ServiceReviewPublic) -> list[str]:
    periods = (review.year_before, review.previous, review.figures)
    return [f"{name}\n{figures.period}" for name, figures in zip(PERIODS, periods, strict=True)]


def trend(review: ServiceReviewPublic) -> str:
    """Incidents (bars) and mean MTTR (line) over the year before, the previous period and this one."""
    periods = (review.year_before, review.previous, review.figures)
    with _figure("Incidents and MTTR over three periods / 三期故障数与平均解决时间") as (figure, axes):
        x = range(3)
        bars = axes.bar(x, [f.incidents for f in periods], color=[GREY, GREY, BLUE], width=0.5)
        axes.bar_label(bars, padding=2)
        axes.set_xticks(list(x), _labels(review))
        axes.set_ylabel("Incidents / 故障数 (bars)", color=BLUE)
        axes.margins(y=0.2)
        right = axes.twinx()  # each axis in its series' colour, so no legend covers the data
        right.spines["right"].set_visible(True)
        mttr = [f.mttr.mean for f in periods]
        right.plot([i for i, v in enumerate(mttr) if v is not None], [v for v in mttr if v is not None],
                   color=RED, marker="o")  # fmt: skip
        right.set_ylabel("MTTR mean, contract min / 平均解决时间（分钟）", color=RED)
        right.tick_params(axis="y", colors=RED)
        right.set_ylim(bottom=0)
        right.margins(y=0.25)
        return _uri(figure)


def months(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[int, int]]:
    """The calendar months, in the zone, that [start, end) touches."""
    first, last = start.astimezone(zone), (end - timedelta(microseconds=1)).astimezone(zone)
    found, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        found.append((year, month))
        year, month = (year, month + 1) if month < 12 else (year + 1, 1)
    return found


def monthly_response(rows: list[dict[str, Any]], start: datetime, end: datetime, zone: ZoneInfo) -> list[
    tuple[str, int, int]
]:  # fmt: skip
    """(month, met, applicable) of the response clock, each incident in the local month it was opened in."""
    tally = {key: [0, 0] for key in months(start, end, zone)}
    for row in rows:
        opened = moment(row.get("opened_at"))
        if row.get("response_met") is None or opened is None:
            continue
        local = opened.astimezone(zone)
        counts = tally.setdefault((local.year, local.month), [0, 0])
        counts[0] += bool(row["response_met"])
        counts[1] += 1
    return [(f"{year}-{month:02d}", met, applicable) for (year, month), (met, applicable) in sorted(tally.items())]


def compliance_by_month(review: ServiceReviewPublic, zone: ZoneInfo) -> str:
    """Response compliance in each month of the period, with met / applicable on each bar."""
    tally = monthly_response(review.rows.get("incidents", []), review.figures.starts_at, review.figures.ends_at, zone)
    with _figure("Response compliance per month / 每月响应合规率") as (figure, axes):
        labels = [label for label, _, _ in tally]
        percents = [100 * met / applicable if applicable else 0 for _, met, applicable in tally]
        bars = axes.bar(labels, percents, color=BLUE, width=0.5)
        axes.bar_label(bars, [f"{100 * m / a:.0f} % ({m}/{a})" if a else "none / 无" for _, m, a in tally], padding=2)
        axes.set_ylim(0, 115)
        axes.set_ylabel("Met / 达标 %")
        return _uri(figure)


def availability(review: ServiceReviewPublic) -> str:
    """Availability in the three periods against the commitment of each."""
    periods = (review.year_before, review.previous, review.figures)
    values = [f.availability.percent for f in periods]
    commitments = [f.availability.commitment_percent for f in periods]
    lowest = min([*values, *(c for c in commitments if c is not None)])
    span = max(100 - lowest, 0.01)
    with _figure("Availability against commitment / 可用性与承诺") as (figure, axes):
        x = range(3)
        bars = axes.bar(x, values, color=[GREY, GREY, BLUE], width=0.5, label="Availability / 可用性")
        axes.bar_label(bars, [f"{v:.3f} %" for v in values], padding=2)
        committed = [(i, c) for i, c in enumerate(commitments) if c is not None]
        if committed:
            axes.hlines([c for _, c in committed], [i - 0.4 for i, _ in committed], [i + 0.4 for i, _ in committed],
                        color=RED, linestyles="--", label="Commitment / 承诺")  # fmt: skip
        axes.set_xticks(list(x), _labels(review))
        bottom = lowest - span * 0.6
        axes.set_ylim(bottom, 100 + span * 0.6)  # room above for the legend
        # ticks above 100 % would promise more than there is
        axes.set_yticks([tick for tick in axes.get_yticks() if bottom <= tick <= 100])
        axes.set_ylabel("%")
        axes.legend(loc="upper center", ncols=2, frameon=False)
        return _uri(figure)

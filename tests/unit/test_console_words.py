"""How the console says durations and times: in the reader's language, in the hospital's zone, labelled."""

from datetime import UTC, datetime, timedelta

import pytest
from pacs_console.domain.i18n import local_time, span, span_of


@pytest.mark.parametrize(
    ("iso", "en", "zh"),
    [("PT2H", "2 h", "2 小时"), ("PT6H30M", "6 h 30 min", "6 小时 30 分钟"), ("P1DT4H", "1 d 4 h", "1 天 4 小时"),
     ("PT45M", "45 min", "45 分钟"), ("PT20S", "0 min", "0 分钟")],
)  # fmt: skip
def test_a_contract_term_reads_as_people_say_it(iso: str, en: str, zh: str) -> None:
    assert (span_of("en", iso), span_of("zh-CN", iso)) == (en, zh)


def test_a_term_that_is_not_a_duration_shows_as_written() -> None:
    assert span_of("en", "two hours") == "two hours"
    assert span("en", -timedelta(minutes=90)) == "1 h 30 min"  # overdue spans read like the others


def test_a_moment_shows_in_the_hospitals_zone_with_its_offset() -> None:
    moment = datetime(2026, 12, 3, 16, 40, tzinfo=UTC)
    assert local_time(moment, "Asia/Shanghai") == "2026-12-04 00:40 UTC+08:00"
    assert local_time(moment.isoformat(), "Europe/London") == "2026-12-03 16:40 UTC"
    assert local_time("2026-07-01T12:00:00+00:00", "Europe/London") == "2026-07-01 13:00 UTC+01:00"
    assert local_time(moment, "Not/AZone") == "2026-12-03 16:40 UTC"
    assert local_time(None, "Asia/Shanghai") == ""

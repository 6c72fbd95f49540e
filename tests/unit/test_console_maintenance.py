"""What the call card tells of a hospital's maintenance: the windows running, then those starting within hours."""

from datetime import UTC, datetime, timedelta

from pacs_console.domain.maintenance import worth_telling

NOW = datetime(2026, 12, 4, 14, 0, tzinfo=UTC)


def window(window_id: str, starts_in: timedelta, state: str) -> dict[str, object]:
    return {"window_id": window_id, "starts_at": (NOW + starts_in).isoformat(), "state": state}


def test_running_windows_come_first_then_those_starting_within_hours_and_not_later_ones() -> None:
    active = [window("MW-LATE", -timedelta(minutes=5), "active"), window("MW-EARLY", -timedelta(hours=1), "active")]
    scheduled = [window("MW-NEXT-WEEK", timedelta(days=7), "scheduled"),
                 window("MW-TONIGHT", timedelta(hours=3), "scheduled"),
                 window("MW-SOON", timedelta(minutes=30), "scheduled")]  # fmt: skip
    told = worth_telling(active, scheduled, NOW)
    assert [w["window_id"] for w in told] == ["MW-EARLY", "MW-LATE", "MW-SOON", "MW-TONIGHT"]


def test_nothing_running_or_near_tells_nothing() -> None:
    assert worth_telling([], [window("MW-NEXT-WEEK", timedelta(days=7), "scheduled")], NOW) == []

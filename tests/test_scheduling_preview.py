"""Tests for bot.scheduling.preview: the schedule-preview command's golden output."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.scheduling.preview import format_utc, parse_from, schedule_preview_command


def run(
    *,
    time_text: str = "02:30",
    tz_text: str = "Europe/Berlin",
    days_text: str | None = None,
    from_text: str = "2027-03-27T00:00:00Z",
    count: int = 3,
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = schedule_preview_command(
        time_text=time_text,
        tz_text=tz_text,
        days_text=days_text,
        from_text=from_text,
        count=count,
        out=out,
        err=err,
    )
    return code, out.getvalue(), err.getvalue()


def test_berlin_spring_forward_golden():
    assert run() == (
        0,
        "2027-03-27T01:30:00Z\n2027-03-28T01:30:00Z\n2027-03-29T00:30:00Z\n",
        "",
    )


def test_berlin_fall_back_golden():
    code, out, _ = run(from_text="2027-10-30T00:00:00Z")
    assert code == 0
    assert out.splitlines() == [
        "2027-10-30T00:30:00Z",
        "2027-10-31T00:30:00Z",  # the first 02:30 only
        "2027-11-01T01:30:00Z",
    ]


def test_multiple_times_days_and_offset_from():
    code, out, err = run(
        time_text="08:15,20:00",
        tz_text="asia/kolkata",
        days_text="mon-fri",
        from_text="2027-03-26T20:00:00+05:30",  # Fri 14:30Z
        count=4,
    )
    assert (code, err) == (0, "")
    assert out.splitlines() == [  # Fri 20:00 IST == `from` itself, so not included
        "2027-03-29T02:45:00Z",
        "2027-03-29T14:30:00Z",
        "2027-03-30T02:45:00Z",
        "2027-03-30T14:30:00Z",
    ]


def test_naive_from_is_utc():
    assert run(tz_text="UTC", time_text="08:15", from_text="2027-03-27T08:15:00", count=1)[1] == (
        "2027-03-28T08:15:00Z\n"
    )


def test_fixed_offset_zone():
    code, out, _ = run(tz_text="+05:30", time_text="8:15", count=2)
    assert (code, out) == (0, "2027-03-27T02:45:00Z\n2027-03-28T02:45:00Z\n")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"tz_text": "Europe/Berln"},
            "error: Unknown time zone 'Europe/Berln'. Did you mean Europe/Berlin?\n",
        ),
        (
            {"time_text": "25:00"},
            "error: Invalid time '25:00': use 24-hour HH:MM, e.g. 08:15 or 20:30.\n",
        ),
        (
            {"time_text": "08:15,"},
            "error: Invalid time '': use 24-hour HH:MM, e.g. 08:15 or 20:30.\n",
        ),
        ({"days_text": "funday"}, None),
        (
            {"from_text": "tomorrow"},
            "error: Invalid --from 'tomorrow': use ISO-8601 like 2027-03-27T00:00:00Z.\n",
        ),
        ({"count": 0}, "error: --count must be between 1 and 1000, got 0.\n"),
    ],
)
def test_bad_input(kwargs, message):
    code, out, err = run(**kwargs)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    assert err.endswith("\n")
    if message is not None:
        assert err == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-03-27T00:00:00Z", datetime(2027, 3, 27, tzinfo=UTC)),
        ("2027-03-27T05:30:00+05:30", datetime(2027, 3, 27, tzinfo=UTC)),
        ("2027-03-27T00:00:00", datetime(2027, 3, 27, tzinfo=UTC)),
        ("2027-03-27", datetime(2027, 3, 27, tzinfo=UTC)),
    ],
)
def test_parse_from(text, expected):
    result = parse_from(text)
    assert result == expected
    assert result.tzinfo is UTC


def test_format_utc():
    plus_two = timezone(timedelta(hours=2))
    assert format_utc(datetime(2027, 3, 28, 3, 30, tzinfo=plus_two)) == "2027-03-28T01:30:00Z"

"""The suite's one clock: tests and fixtures read the time the code reads, and a test can set it."""

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from lms.core.time import local_today
from lms.core.types import utcnow
from tests.fixtures.clock import START, START_TODAY

TESTS = Path(__file__).resolve().parents[1]
#: reading the machine's clock past the suite's one clock (the machine's date is UTC, not WIB)
OWN_CLOCK = re.compile(r"\bdate\.today\(|\bdatetime\.(?:now|utcnow|today)\(|\btime\.time\(")


def test_every_test_starts_at_the_suites_instant():
    assert local_today() == START_TODAY
    assert abs(utcnow() - START) < timedelta(minutes=5)


def test_a_test_moves_the_clock_instead_of_waiting(clock):
    clock.move_to(datetime(2028, 2, 29, 16, 59, tzinfo=UTC))  # 23:59 WIB on a leap day
    assert local_today() == date(2028, 2, 29)
    clock.shift(timedelta(minutes=2))
    assert local_today() == date(2028, 3, 1)


def test_the_year_ends_in_the_offices_zone(clock):
    clock.move_to(datetime(2026, 12, 31, 17, 1, tzinfo=UTC))  # 00:01 WIB on 1 January
    assert local_today() == date(2027, 1, 1)


def test_no_test_reads_the_machines_clock_itself():
    offenders = [
        f"{path.relative_to(TESTS)}:{n}"
        for path in TESTS.rglob("*.py")
        if path.name != "clock.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if OWN_CLOCK.search(line) and path != Path(__file__).resolve()
    ]
    assert offenders == [], "use local_today()/utcnow() or the clock fixture"


def test_the_course_factory_dates_come_from_the_clock(clock, create_course):
    clock.move_to(datetime(2026, 12, 31, 16, 40, tzinfo=UTC))  # 23:40 WIB
    course = create_course()
    assert course.starts_on == date(2027, 1, 30)

"""The annual report counts exactly: a year built through the services, every figure computed by
hand, checked in the service, the API and the page; the year before stays separate; edge cases.

The counting rules are those at the end of shared/API.md. The year is last year (certificates
need a course that has ended), and the year before it holds two courses of its own.
"""

import html
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import update

from lms.attendance import services as attendance
from lms.auth.models import User
from lms.catalog import services as catalog
from lms.certificates import services as certificates
from lms.core.time import combine_local, local_today
from lms.enrollment import services as enrolment
from lms.errors import InvalidInput
from lms.extensions import db
from lms.reports import services
from lms.reports.services import annual_report, parse_year, partner_report, report_years
from tests.fixtures.clock import START_TODAY
from tests.fixtures.enrollment import enroll

#: today in the office's zone (WIB), as the services see it when a test starts
TODAY = START_TODAY
#: the report year (over, so that its courses have ended) and the year before it
Y = TODAY.year - 1
P = Y - 1

PA = "Balai Pelatihan Pertanian Lampung"
PB = "UPT Bahasa Universitas Lampung"
PC = "BLK Kota Bandar Lampung"
PD = "LPK Sakura Mandiri"

# --- the figures, by hand ----------------------------------------------------------------------
#
# Trainees of year Y (regency, target group) and their counted enrolments:
#   Ani    Lampung Timur       cpmi       H1 (hospitality)  L1 (language)
#   Budi   Lampung Timur       cpmi       H1, H2 (hospitality)  D1 (digital marketing)
#   Citra  Lampung Tengah      cpmi       H1  L2 (language)
#   Dedi   Lampung Selatan     cpmi       H2  E2 (entrepreneurship)
#   Eka    Lampung Selatan     purna_pmi  P1 (plantation)  E1 (entrepreneurship)
#   Fajar  Kota Bandar Lampung family     L1  E1  D2 (digital marketing)
#   Gita   Lampung Timur       general    P2 (plantation)  E2
#   Hadi   Lampung Tengah      purna_pmi  P1  L2  D1
# and, from Way Kanan (a regency no counted trainee comes from), people counted nowhere:
#   Wati (waitlisted in the full H1), Sari (enrolled and marked in H2, then cancelled),
#   Prasetyo (pending in H3, which needs approval), Rudi (rejected in H3).
#
# course  type               partner month  held sessions               counted enrolments
# H1      hospitality        PC      Feb    3                           Ani Budi Citra
# H2      hospitality        PC      Jul    2                           Budi Dedi
# H3      hospitality        PC      Apr    1 (nobody counted)          -
# P1      plantation         PA      Mar    2                           Eka Hadi
# P2      plantation         PA      Sep    2 (+1 cancelled)            Gita
# L1      language           PB      Jan    2                           Ani Fajar
# L2      language           PB      Oct    2                           Citra Hadi
# E1      entrepreneurship   PC      May    1                           Eka Fajar
# E2      entrepreneurship   PC      Nov    1                           Gita Dedi
# D1      digital_marketing  PC      Jun    2                           Budi Hadi
# D2      digital_marketing  PA      Dec    1 (+1 in the future)        Fajar
#
# Enrolments 3+2+2+1+2+2+2+2+2+1 = 19; trainees 8. Sessions held 3+2+1+2+2+2+2+1+1+2+1 = 19.
#
# Marks (P present, L late, E excused, A absent, - none) -> attended / (held - excused):
#   H1 Ani P P L 3/3, Budi P E P 2/2, Citra P A - 1/3      -> 6/8
#   H2 Budi P P 2/2, Dedi P P 2/2 (Sari P P, cancelled)      -> 4/4
#   P1 Eka P P 2/2, Hadi L P 2/2                            -> 4/4
#   P2 Gita P E 1/1                                         -> 1/1
#   L1 Ani P P 2/2, Fajar P - 1/2                           -> 3/4
#   L2 Citra P P 2/2, Hadi P P 2/2                          -> 4/4
#   E1 Eka P 1/1, Fajar L 1/1                               -> 2/2
#   E2 Gita E 0/0, Dedi A 0/1                               -> 0/1
#   D1 Budi P P 2/2, Hadi P P 2/2                           -> 4/4
#   D2 Fajar P 1/1                                          -> 1/1
#   pooled: 29 / 33
#
# Certificates (hospitality, plantation and language need a passed assessment and 80 %;
# entrepreneurship and digital marketing 100 %): H1 Ani, Budi (revoked afterwards); H2 Budi
# (Dedi not competent); P1 Eka, Hadi; P2 Gita; L1 Ani (Fajar 50 %); L2 none (no assessment);
# E1 Eka, Fajar (revoked afterwards); E2 none; D1 Budi, Hadi; D2 none (not ended).
# Valid: 9 = completions = certificates issued.

EXPECTED = {
    "year": Y,
    "trainees": 8,
    "enrollments": 19,
    "completions": 9,
    "certificates_issued": 9,
    "sessions_held": 19,
    "attendance_rate": 29 / 33,
    "by_course_type": {
        # Ani Budi Citra Dedi; H1 3 + H2 2; H1 Ani, H2 Budi
        "hospitality": {"trainees": 4, "enrollments": 5, "completions": 2, "certificates": 2},
        # Eka Hadi Gita; all three completed
        "plantation": {"trainees": 3, "enrollments": 3, "completions": 3, "certificates": 3},
        # Ani Fajar Citra Hadi; L1 Ani
        "language": {"trainees": 4, "enrollments": 4, "completions": 1, "certificates": 1},
        # Eka Fajar Gita Dedi; E1 Eka
        "entrepreneurship": {"trainees": 4, "enrollments": 4, "completions": 1, "certificates": 1},
        # Budi Hadi Fajar; D1 Budi Hadi
        "digital_marketing": {
            "trainees": 3,
            "enrollments": 3,
            "completions": 2,
            "certificates": 2,
        },
    },
    "by_regency": {
        "Lampung Timur": 3,  # Ani Budi Gita
        "Lampung Tengah": 2,  # Citra Hadi
        "Lampung Selatan": 2,  # Dedi Eka
        "Kota Bandar Lampung": 1,  # Fajar
    },
    # PC: H1 H2 E1 E2 D1 hold all eight; PA: P1 P2 D2 = Eka Hadi Gita Fajar; PB: L1 L2
    "by_partner": {PC: 8, PA: 4, PB: 4},
    "by_target_group": {"cpmi": 4, "purna_pmi": 2, "family": 1, "general": 1},
    "by_month": {
        1: {"trainees": 2, "enrollments": 2, "completions": 1},  # L1
        2: {"trainees": 3, "enrollments": 3, "completions": 1},  # H1
        3: {"trainees": 2, "enrollments": 2, "completions": 2},  # P1
        4: {"trainees": 0, "enrollments": 0, "completions": 0},  # H3: nobody counted
        5: {"trainees": 2, "enrollments": 2, "completions": 1},  # E1
        6: {"trainees": 2, "enrollments": 2, "completions": 2},  # D1
        7: {"trainees": 2, "enrollments": 2, "completions": 1},  # H2
        8: {"trainees": 0, "enrollments": 0, "completions": 0},
        9: {"trainees": 1, "enrollments": 1, "completions": 1},  # P2
        10: {"trainees": 2, "enrollments": 2, "completions": 0},  # L2
        11: {"trainees": 2, "enrollments": 2, "completions": 0},  # E2
        12: {"trainees": 1, "enrollments": 1, "completions": 0},  # D2
    },
}

# The year before: Q1 hospitality (PC, November) with Ani and Joko (Tanggamus, cpmi), one held
# session, both present, competent and certified; Q2 language (PB, mid-December to the end of
# January of Y) with Eka, two held sessions (one in December, one in January of Y: a course counts
# in the year it starts), present at both, no assessment.
EXPECTED_PREVIOUS = {
    "year": P,
    "trainees": 3,
    "enrollments": 3,
    "completions": 2,
    "certificates_issued": 2,
    "sessions_held": 3,
    "attendance_rate": 1.0,
    "by_course_type": {
        "hospitality": {"trainees": 2, "enrollments": 2, "completions": 2, "certificates": 2},
        "language": {"trainees": 1, "enrollments": 1, "completions": 0, "certificates": 0},
    },
    "by_regency": {"Lampung Timur": 1, "Tanggamus": 1, "Lampung Selatan": 1},
    "by_partner": {PC: 2, PB: 1},
    "by_target_group": {"cpmi": 2, "purna_pmi": 1},
    "by_month": {
        m: (
            {"trainees": 2, "enrollments": 2, "completions": 2}
            if m == 11
            else {"trainees": 1, "enrollments": 1, "completions": 0}
            if m == 12
            else {"trainees": 0, "enrollments": 0, "completions": 0}
        )
        for m in range(1, 13)
    },
}

#: the partner report of Y, in the order of its table: (courses, sessions held, trainees,
#: enrolments, completions, completion rate, attendance rate, certificates)
EXPECTED_PARTNERS = {
    PA: (3, 5, 4, 4, 3, 3 / 4, 6 / 6, 3),  # P1 P2 D2
    PB: (2, 4, 4, 4, 1, 1 / 4, 7 / 8, 1),  # L1 L2
    PC: (6, 10, 8, 11, 5, 5 / 11, 16 / 19, 5),  # H1 H2 H3 E1 E2 D1
    PD: (0, 0, 0, 0, 0, None, None, 0),  # an MoU in force, no course
}
EXPECTED_PARTNERS_PREVIOUS = {
    PB: (1, 2, 1, 1, 0, 0.0, 1.0, 0),  # Q2
    PC: (1, 1, 2, 2, 2, 1.0, 1.0, 2),  # Q1
}
PARTNER_FIELDS = (
    "courses",
    "sessions_held",
    "trainees",
    "enrollments",
    "completions",
    "completion_rate",
    "attendance_rate",
    "certificates",
)


# --- building the year through the services ----------------------------------------------------


@dataclass
class ReportYear:
    """What the builder made: the staff member, partners, courses and trainees by name."""

    staff: object
    partners: dict = field(default_factory=dict)
    courses: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    #: the previous year's report as it stood before year Y was built
    previous_before: dict | None = None


class Builder:
    def __init__(self, create_user, create_partner, create_course, create_session):
        self.create_user = create_user
        self.create_course = create_course
        self.create_session = create_session
        self.staff = create_user("staff", name="Rina Marlina")
        self.made = ReportYear(staff=self.staff)
        far = TODAY + timedelta(days=365)
        for key, name, kind in (
            ("PA", PA, "training_centre"),
            ("PB", PB, "university"),
            ("PC", PC, "vocational_centre"),
        ):
            self.made.partners[key] = create_partner(name=name, kind=kind, mou_valid_until=far)
        # on record since March of Y, MoU in force, no course: listed in Y's partner report only
        self.made.partners["PD"] = create_partner(
            name=PD,
            kind="vocational_centre",
            mou_valid_until=far,
            created_at=datetime(Y, 3, 1, tzinfo=UTC),
        )

    def person(self, key, name, regency, group):
        user = self.create_user("trainee", name=name, regency_code=regency, target_group=group)
        self.made.people[key] = user
        return user

    def course(self, key, type_key, partner, starts_on, ends_on, **fields):
        course = self.create_course(
            type_key,
            partner=self.made.partners[partner],
            starts_on=starts_on,
            ends_on=ends_on,
            **fields,
        )
        self.made.courses[key] = course
        return course

    def enroll(self, key, *people, by_self=False):
        course = self.made.courses[key]
        result = []
        for person in people:
            user = self.made.people[person]
            actor = user if by_self else self.staff
            result.append(enrolment.enroll(user, course, actor=actor, bypass_window=True))
            db.session.commit()
        return result

    def meetings(self, key, *days):
        """Sessions of a course at 08:00 WIB on these days."""
        course = self.made.courses[key]
        return [self.create_session(course, starts_at=combine_local(d, time(8))) for d in days]

    def mark(self, session, marks):
        """``marks``: {enrolment: status}; an enrolment left out stays unmarked."""
        attendance.save_marks(
            session,
            [{"enrollment_id": e.id, "status": s} for e, s in marks.items()],
            self.staff,
        )
        db.session.commit()

    def assess(self, enrollment, **result):
        attendance.set_assessment(enrollment, self.staff, **result)
        db.session.commit()

    def issue(self, key):
        issued, _skipped = certificates.issue(self.made.courses[key], self.staff)
        db.session.commit()
        return {c.enrollment_id: c for c in issued}

    def revoke(self, certificate):
        certificates.revoke(certificate, self.staff, "Nama peserta salah ketik")
        db.session.commit()


def build_previous_year(b):
    """Q1 and Q2: the year before Y."""
    b.person("joko", "Joko Susilo", "18.06", "cpmi")
    b.course("Q1", "hospitality", "PC", date(P, 11, 3), date(P, 12, 12))
    b.course("Q2", "language", "PB", date(P, 12, 15), date(Y, 1, 31))
    ani_q1, joko_q1 = b.enroll("Q1", "ani", "joko")
    (eka_q2,) = b.enroll("Q2", "eka")
    (q1,) = b.meetings("Q1", date(P, 11, 4))
    b.mark(q1, {ani_q1: "present", joko_q1: "present"})
    q2a, q2b = b.meetings("Q2", date(P, 12, 16), date(Y, 1, 10))
    b.mark(q2a, {eka_q2: "present"})
    b.mark(q2b, {eka_q2: "present"})
    b.assess(ani_q1, competent=True)
    b.assess(joko_q1, competent=True)
    assert set(b.issue("Q1")) == {ani_q1.id, joko_q1.id}
    assert b.issue("Q2") == {}


def build_year(b):
    """The eleven courses of Y, as in the table at the top of this module."""
    d = lambda month, day: date(Y, month, day)  # noqa: E731
    b.course("H1", "hospitality", "PC", d(2, 3), d(3, 28), capacity=3)
    b.course("H2", "hospitality", "PC", d(7, 7), d(8, 29))
    b.course("H3", "hospitality", "PC", d(4, 6), d(4, 30), requires_approval=True)
    b.course("P1", "plantation", "PA", d(3, 2), d(4, 24))
    b.course("P2", "plantation", "PA", d(9, 1), d(10, 31))
    b.course("L1", "language", "PB", d(1, 13), d(3, 14))
    b.course("L2", "language", "PB", d(10, 6), d(12, 12))
    b.course("E1", "entrepreneurship", "PC", d(5, 12), d(5, 13))
    b.course("E2", "entrepreneurship", "PC", d(11, 17), d(11, 18))
    b.course("D1", "digital_marketing", "PC", d(6, 9), d(6, 20))
    b.course("D2", "digital_marketing", "PA", d(12, 1), TODAY + timedelta(days=30))

    # H1: full at three seats, so Wati waits; Budi excused once, Citra falls behind
    ani_h1, budi_h1, citra_h1 = b.enroll("H1", "ani", "budi", "citra")
    (wati_h1,) = b.enroll("H1", "wati")
    assert wati_h1.status == "waitlisted"
    s1, s2, s3 = b.meetings("H1", d(2, 4), d(2, 11), d(2, 18))
    b.mark(s1, {ani_h1: "present", budi_h1: "present", citra_h1: "present"})
    b.mark(s2, {ani_h1: "present", budi_h1: "excused", citra_h1: "absent"})
    b.mark(s3, {ani_h1: "late", budi_h1: "present"})  # Citra: no mark, counts as absent
    for e in (ani_h1, budi_h1, citra_h1):
        b.assess(e, competent=True)
    h1_certificates = b.issue("H1")
    assert set(h1_certificates) == {ani_h1.id, budi_h1.id}

    # H2: Sari is marked present, then cancelled: her marks count nowhere
    budi_h2, dedi_h2, sari_h2 = b.enroll("H2", "budi", "dedi", "sari")
    for s in b.meetings("H2", d(7, 8), d(7, 15)):
        b.mark(s, {budi_h2: "present", dedi_h2: "present", sari_h2: "present"})
    enrolment.cancel(sari_h2, b.staff, reason="Berangkat lebih awal")
    db.session.commit()
    b.assess(budi_h2, competent=True)
    b.assess(dedi_h2, competent=False)
    assert set(b.issue("H2")) == {budi_h2.id}

    # H3 needs approval: Prasetyo's request stays pending, Rudi's is rejected; a session is held
    (pras_h3, rudi_h3) = b.enroll("H3", "pras", "rudi", by_self=True)
    assert pras_h3.status == rudi_h3.status == "pending"
    enrolment.reject(rudi_h3, b.staff, reason="Kuota penuh")
    db.session.commit()
    b.meetings("H3", d(4, 7))

    # P1
    eka_p1, hadi_p1 = b.enroll("P1", "eka", "hadi")
    p1a, p1b = b.meetings("P1", d(3, 3), d(3, 10))
    b.mark(p1a, {eka_p1: "present", hadi_p1: "late"})
    b.mark(p1b, {eka_p1: "present", hadi_p1: "present"})
    b.assess(eka_p1, competent=True)
    b.assess(hadi_p1, competent=True)
    assert set(b.issue("P1")) == {eka_p1.id, hadi_p1.id}

    # P2: one session cancelled (never held), Gita excused once
    (gita_p2,) = b.enroll("P2", "gita")
    p2a, p2b, p2c = b.meetings("P2", d(9, 2), d(9, 9), d(9, 16))
    catalog.cancel_session(p2c, "Banjir di lokasi praktik", actor=b.staff)
    db.session.commit()
    b.mark(p2a, {gita_p2: "present"})
    b.mark(p2b, {gita_p2: "excused"})
    b.assess(gita_p2, competent=True)
    assert set(b.issue("P2")) == {gita_p2.id}

    # L1: Fajar misses a session (no mark)
    ani_l1, fajar_l1 = b.enroll("L1", "ani", "fajar")
    l1a, l1b = b.meetings("L1", d(1, 14), d(1, 21))
    b.mark(l1a, {ani_l1: "present", fajar_l1: "present"})
    b.mark(l1b, {ani_l1: "present"})
    b.assess(ani_l1, score=75)
    b.assess(fajar_l1, score=90)
    assert set(b.issue("L1")) == {ani_l1.id}

    # L2: no assessment yet, so no certificate
    citra_l2, hadi_l2 = b.enroll("L2", "citra", "hadi")
    for s in b.meetings("L2", d(10, 7), d(10, 14)):
        b.mark(s, {citra_l2: "present", hadi_l2: "present"})
    assert b.issue("L2") == {}

    # E1: both certified, Fajar's certificate revoked afterwards
    eka_e1, fajar_e1 = b.enroll("E1", "eka", "fajar")
    (e1,) = b.meetings("E1", d(5, 12))
    b.mark(e1, {eka_e1: "present", fajar_e1: "late"})
    e1_certificates = b.issue("E1")
    assert set(e1_certificates) == {eka_e1.id, fajar_e1.id}

    # E2: Gita excused from the only session (no rate), Dedi absent
    gita_e2, dedi_e2 = b.enroll("E2", "gita", "dedi")
    (e2,) = b.meetings("E2", d(11, 17))
    b.mark(e2, {gita_e2: "excused", dedi_e2: "absent"})
    assert b.issue("E2") == {}

    # D1
    budi_d1, hadi_d1 = b.enroll("D1", "budi", "hadi")
    for s in b.meetings("D1", d(6, 10), d(6, 17)):
        b.mark(s, {budi_d1: "present", hadi_d1: "present"})
    assert set(b.issue("D1")) == {budi_d1.id, hadi_d1.id}

    # D2 runs on: one session held in December, one still to come
    (fajar_d2,) = b.enroll("D2", "fajar")
    d2a, _d2b = b.meetings("D2", d(12, 2), TODAY + timedelta(days=5))
    b.mark(d2a, {fajar_d2: "present"})

    b.revoke(h1_certificates[budi_h1.id])
    b.revoke(e1_certificates[fajar_e1.id])
    db.session.expire_all()
    assert budi_h1.status == fajar_e1.status == "enrolled"


def make_report_year(create_user, create_partner, create_course, create_session):
    """Years Y and P built as described at the top of this module; returns a ReportYear."""
    b = Builder(create_user, create_partner, create_course, create_session)
    for key, name, regency, group in (
        ("ani", "Ani Lestari", "18.07", "cpmi"),
        ("budi", "Budi Santoso", "18.07", "cpmi"),
        ("citra", "Citra Dewi", "18.02", "cpmi"),
        ("dedi", "Dedi Kurniawan", "18.01", "cpmi"),
        ("eka", "Eka Putri", "18.01", "purna_pmi"),
        ("fajar", "Fajar Nugroho", "18.71", "family"),
        ("gita", "Gita Permata", "18.07", "general"),
        ("hadi", "Hadi Wijaya", "18.02", "purna_pmi"),
        # counted nowhere: waitlisted, cancelled, pending, rejected
        ("wati", "Wati Susanti", "18.08", "cpmi"),
        ("sari", "Sari Handayani", "18.08", "family"),
        ("pras", "Prasetyo Utomo", "18.08", "general"),
        ("rudi", "Rudi Hartono", "18.08", "purna_pmi"),
    ):
        b.person(key, name, regency, group)
    build_previous_year(b)
    b.made.previous_before = annual_report(P)
    build_year(b)
    return b.made


@pytest.fixture
def report_year(create_user, create_partner, create_course, create_session):
    return make_report_year(create_user, create_partner, create_course, create_session)


# --- helpers -------------------------------------------------------------------------------------


def without_rate(report):
    """The report without its attendance rate (a float, compared apart) and its outreach section
    (tests/test_outreach.py), with int months."""
    rest = {k: v for k, v in report.items() if k not in ("attendance_rate", "outreach")}
    if "by_month" in rest:
        rest["by_month"] = {int(m): v for m, v in rest["by_month"].items()}
    return rest


def assert_report(report, expected):
    assert without_rate(report) == without_rate(expected)
    if expected["attendance_rate"] is None:
        assert report["attendance_rate"] is None
    else:
        assert report["attendance_rate"] == pytest.approx(expected["attendance_rate"])


def assert_partner(row, expected):
    for name, value in zip(PARTNER_FIELDS, expected, strict=True):
        if value is None:
            assert row[name] is None, (row["partner"].name, name)
        else:
            assert row[name] == pytest.approx(value), (row["partner"].name, name)


def flatten(report):
    """{dotted name: number} of a report, as the page names its figures (data-figure)."""
    out = {}
    for key, value in report.items():
        if key == "year":
            continue
        if isinstance(value, dict):
            for group, figure in value.items():
                if isinstance(figure, dict):
                    for name, number in figure.items():
                        out[f"{key}.{group}.{name}"] = number
                else:
                    out[f"{key}.{group}"] = figure
        else:
            out[key] = value
    return out


FIGURE = re.compile(r'data-figure="([^"]+)"\s+data-value="([^"]*)"')


def page_figures(body):
    """{dotted name: number, None or text (a date)} of the figures of a report page."""
    figures = {}
    for name, raw in FIGURE.findall(body):
        if raw == "":
            value = None
        elif re.fullmatch(r"-?\d+", raw):
            value = int(raw)
        elif re.fullmatch(r"-?\d+\.\d*(e-?\d+)?", raw):
            value = float(raw)
        else:
            value = raw  # a date
        figures[html.unescape(name)] = value
    return figures


def page_text(body):
    body = re.sub(r"<(script|style|svg).*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def assert_page_figures(figures, expected):
    """Every figure of the report is on the page with its value; the page's other figures are
    the zero rows of groups nobody fell in (every course type and target group is listed)."""
    flat = flatten(expected)
    for name, value in flat.items():
        assert name in figures, name
        if name == "attendance_rate" and value is not None:
            assert figures[name] == pytest.approx(value), name
        else:
            assert figures[name] == value, name
    extra = {k: v for k, v in figures.items() if k not in flat}
    assert all(v == 0 for v in extra.values()), extra
    prefixes = ("by_course_type.", "by_target_group.", "outreach")
    assert all(k.startswith(prefixes) for k in extra), extra


# --- the key test --------------------------------------------------------------------------------


def test_every_figure_of_the_year_in_the_service_the_api_and_the_page(
    report_year, client, login, api_headers
):
    # the service
    report = annual_report(Y)
    assert_report(report, EXPECTED)
    assert "Way Kanan" not in report["by_regency"]  # nobody counted comes from there
    assert sum(report["by_regency"].values()) == report["trainees"]
    assert sum(t["enrollments"] for t in report["by_course_type"].values()) == 19

    # the API: exactly the fields of API.md, and by_month
    response = client.get(
        f"/api/v1/reports/annual?year={Y}", headers=api_headers(report_year.staff)
    )
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {
        "year",
        "trainees",
        "enrollments",
        "completions",
        "certificates_issued",
        "sessions_held",
        "attendance_rate",
        "by_course_type",
        "by_regency",
        "by_partner",
        "by_target_group",
        "by_month",
        "outreach",
    }
    assert set(body["by_month"]) == {str(m) for m in range(1, 13)}
    assert_report(body, EXPECTED)

    # the page, in Indonesian and in English
    login(report_year.staff)
    response = client.get(f"/reports/annual?year={Y}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert_page_figures(page_figures(page), EXPECTED)
    text = page_text(page)
    assert "87,9%" in text  # 29 / 33
    for label in ("Perhotelan", "Perkebunan", "Bahasa", "Kewirausahaan", "Pemasaran Digital"):
        assert label in text
    for name in ("Lampung Timur", "Lampung Tengah", "Lampung Selatan", "Kota Bandar Lampung"):
        assert name in text
    assert "Way Kanan" not in text
    # a chart per breakdown and the trend, drawn on the server, without any script; a year
    # without outreach events draws no outreach chart
    assert page.count('class="report-chart') == 5
    for svg in re.findall(r"<svg.*?</svg>", page, flags=re.S):
        assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/", "")

    english = client.get(f"/reports/annual?year={Y}", headers={"Accept-Language": "en"})
    # the staff member's profile has no language: the browser's is used
    text = page_text(english.get_data(as_text=True))
    assert "87.9%" in text
    assert "Digital Marketing" in text and "Prospective migrant worker (CPMI)" in text


def test_the_year_before_is_separate_and_unaffected(report_year, client, api_headers):
    # what it said before year Y was built, what it says now, and what it should say
    assert_report(report_year.previous_before, EXPECTED_PREVIOUS)
    assert_report(annual_report(P), EXPECTED_PREVIOUS)
    body = client.get(
        f"/api/v1/reports/annual?year={P}", headers=api_headers(report_year.staff)
    ).get_json()
    assert_report(body, EXPECTED_PREVIOUS)
    # and the year after has nothing yet
    later = annual_report(Y + 1)
    assert later["trainees"] == later["enrollments"] == later["sessions_held"] == 0
    assert later["attendance_rate"] is None
    assert later["by_course_type"] == later["by_regency"] == {}


def test_partner_report_of_the_year(report_year, client, login):
    rows = partner_report(Y)
    assert [r["partner"].name for r in rows] == sorted(EXPECTED_PARTNERS, key=str.casefold)
    for row in rows:
        assert_partner(row, EXPECTED_PARTNERS[row["partner"].name])
    # the partners' figures add up to the annual report's (trainees may be in two partners)
    assert sum(r["enrollments"] for r in rows) == EXPECTED["enrollments"]
    assert sum(r["certificates"] for r in rows) == EXPECTED["certificates_issued"]
    assert sum(r["sessions_held"] for r in rows) == EXPECTED["sessions_held"]

    previous = {r["partner"].name: r for r in partner_report(P)}
    assert set(previous) == set(EXPECTED_PARTNERS_PREVIOUS)  # PD was not on record yet
    for name, expected in EXPECTED_PARTNERS_PREVIOUS.items():
        assert_partner(previous[name], expected)

    # the page shows the same figures, keyed by partner id
    login(report_year.staff)
    page = client.get(f"/reports/partners?year={Y}").get_data(as_text=True)
    figures = page_figures(page)
    for key, name in (("PA", PA), ("PB", PB), ("PC", PC), ("PD", PD)):
        partner_id = report_year.partners[key].id
        for field_name, value in zip(PARTNER_FIELDS, EXPECTED_PARTNERS[name], strict=True):
            got = figures[f"partners.{partner_id}.{field_name}"]
            assert got == (value if value is None else pytest.approx(value)), (name, field_name)
    assert "75,0%" in page_text(page)  # PA's completion rate


# --- edge cases ----------------------------------------------------------------------------------


@pytest.fixture
def staff(create_user):
    return create_user("staff", name="Rina Marlina")


def _past_course(create_course, type_key="hospitality", **fields):
    fields.setdefault("starts_on", date(Y, 6, 2))
    fields.setdefault("ends_on", date(Y, 6, 27))
    return create_course(type_key, **fields)


def _enrol(user, course, staff):
    return enroll(user, course, actor=staff, bypass_window=True)


def test_no_held_session_gives_no_rate(
    create_user, create_course, create_session, staff, client, api_headers
):
    course = create_course("language")  # starts in a month
    _enrol(create_user("trainee"), course, staff)
    create_session(course)  # on its first day, in the future
    year = course.starts_on.year
    report = annual_report(year)
    assert report["enrollments"] == 1
    assert report["sessions_held"] == 0
    assert report["attendance_rate"] is None
    body = client.get(f"/api/v1/reports/annual?year={year}", headers=api_headers(staff)).get_json()
    assert body["attendance_rate"] is None and body["sessions_held"] == 0


def test_only_excused_gives_no_rate(create_user, create_course, create_session, staff):
    course = _past_course(create_course)
    enrollment = _enrol(create_user("trainee"), course, staff)
    session = create_session(course)
    attendance.save_marks(session, [{"enrollment_id": enrollment.id, "status": "excused"}], staff)
    db.session.commit()
    report = annual_report(Y)
    assert report["sessions_held"] == 1
    assert report["attendance_rate"] is None


def test_a_cancelled_session_is_not_held(create_user, create_course, create_session, staff):
    course = _past_course(create_course)
    enrollment = _enrol(create_user("trainee"), course, staff)
    held, called_off = (
        create_session(course),
        create_session(
            course, starts_at=combine_local(course.starts_on + timedelta(days=1), time(8))
        ),
    )
    attendance.save_marks(held, [{"enrollment_id": enrollment.id, "status": "late"}], staff)
    catalog.cancel_session(called_off, "Libur nasional")
    db.session.commit()
    report = annual_report(Y)
    assert report["sessions_held"] == 1
    assert report["attendance_rate"] == 1.0


def test_unmarked_held_sessions_count_as_absent(create_user, create_course, create_session, staff):
    course = _past_course(create_course)
    first = _enrol(create_user("trainee"), course, staff)
    _enrol(create_user("trainee"), course, staff)  # never marked
    session = create_session(course)
    attendance.save_marks(session, [{"enrollment_id": first.id, "status": "present"}], staff)
    db.session.commit()
    assert annual_report(Y)["attendance_rate"] == pytest.approx(1 / 2)


def test_a_trainee_without_regency_or_group_counts_as_unknown(create_user, create_course, staff):
    course = _past_course(create_course)
    known = create_user("trainee", regency_code="18.07", target_group="purna_pmi")
    unknown = create_user("trainee")
    _enrol(known, course, staff)
    _enrol(unknown, course, staff)
    # a profile emptied after enrolment (an import without these columns, an anonymisation)
    db.session.execute(
        update(User).where(User.id == unknown.id).values(regency_code=None, target_group=None)
    )
    db.session.commit()
    report = annual_report(Y)
    assert report["trainees"] == 2
    assert report["by_regency"] == {"Lampung Timur": 1, "unknown": 1}
    assert report["by_target_group"] == {"purna_pmi": 1, "unknown": 1}


def test_a_course_counts_in_the_year_it_starts(create_user, create_course, staff):
    last_day = create_course(
        "entrepreneurship", starts_on=date(Y, 12, 31), ends_on=date(Y + 1, 1, 1)
    )
    first_day = create_course(
        "entrepreneurship", starts_on=date(Y + 1, 1, 1), ends_on=date(Y + 1, 1, 2)
    )
    _enrol(create_user("trainee"), last_day, staff)
    _enrol(create_user("trainee"), first_day, staff)
    _enrol(create_user("trainee"), first_day, staff)
    assert annual_report(Y)["enrollments"] == 1
    assert annual_report(Y)["by_month"][12]["enrollments"] == 1
    assert annual_report(Y + 1)["enrollments"] == 2
    assert annual_report(Y + 1)["by_month"][1]["trainees"] == 2


def test_an_empty_year():
    report = annual_report(1999)
    assert report == {
        "year": 1999,
        "trainees": 0,
        "enrollments": 0,
        "completions": 0,
        "certificates_issued": 0,
        "sessions_held": 0,
        "attendance_rate": None,
        "by_course_type": {},
        "by_regency": {},
        "by_partner": {},
        "by_target_group": {},
        "by_month": {m: {"trainees": 0, "enrollments": 0, "completions": 0} for m in range(1, 13)},
        "outreach": {
            "events": 0,
            "people": 0,
            "by_regency": {},
            "by_partner_kind": {},
            "by_month": {f"1999-{m:02d}": {"events": 0, "people": 0} for m in range(1, 13)},
        },
    }
    assert partner_report(1999) == []


@pytest.mark.parametrize("value", ["2025", " 2025 ", "1900", "2999"])
def test_parse_year_accepts_a_year(value):
    assert parse_year(value) == int(value)


@pytest.mark.parametrize(
    "value", [None, "", "abc", "2025.0", "-2025", "1899", "3000", "99999999999999999999", "٢٠٢٥"]
)
def test_parse_year_refuses_anything_else(value):
    with pytest.raises(InvalidInput) as error:
        parse_year(value)
    assert "year" in error.value.fields


def test_report_years_are_the_years_with_courses_and_this_one(create_course):
    assert report_years() == [local_today().year]
    create_course("language", starts_on=date(Y - 3, 5, 5), ends_on=date(Y - 3, 6, 5))
    create_course("language", starts_on=date(Y - 3, 8, 5), ends_on=date(Y - 3, 9, 5))
    assert report_years() == [local_today().year, Y - 3]
    assert services.MIN_YEAR <= Y - 3 <= services.MAX_YEAR

"""What a course's certificate says: the course page states the type's real rule (a school
class: participation, 75 % attendance; a workshop: full attendance; a competence course: its
threshold and the assessment), and a school class's certificate names its language or skill and
its destination, in both languages."""

import pytest

from lms.catalog.services import course_type_of
from lms.certificates import pdf
from lms.certificates import services as certificates
from tests.certificates.test_certificate_pdf import finished_course, read, url_of  # noqa: F401
from tests.fixtures.i18n import tr

RULES = {
    "school_class": (
        "Certificate of participation in %(skill)s, for at least %(pct)s%% attendance.",
        {"skill": "Japanese", "pct": 75},
    ),
    "hospitality": (
        "Certificate of competence, for at least %(pct)s%% attendance and a passed final assessment.",
        {"pct": 80},
    ),
    "entrepreneurship": ("Certificate of attendance, for full attendance.", {}),
}


@pytest.mark.parametrize("type_key", sorted(RULES))
@pytest.mark.parametrize("locale", ["id", "en"])
def test_the_course_page_states_the_types_rule(client, create_course, type_key, locale):
    course = create_course(type_key)
    response = client.get(f"/courses/{course.id}", headers={"Accept-Language": locale})
    html = response.get_data(as_text=True)
    rule = html.split('data-testid="certificate-rule">', 1)[1].split("</dd>", 1)[0]
    msgid, params = RULES[type_key]
    if "skill" in params:
        params = {**params, "skill": tr("Japanese", locale)}
    assert rule == tr(msgid, locale, **params)
    pct = round(course_type_of(course).threshold_for(course) * 100)
    if type_key != "entrepreneurship":
        assert f"{pct}%" in rule


def test_a_course_threshold_of_its_own_changes_the_rule(client, create_course):
    course = create_course("school_class", attendance_threshold=0.9)
    html = client.get(f"/courses/{course.id}", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "for at least 90% attendance" in html


def test_a_school_class_certificate_names_its_language_and_destination(finished_course):  # noqa: F811
    course, _staff, issued = finished_course("school_class", names=["Siti Aminah"])
    certificate = issued[0]
    claims = certificates.claims(certificate)
    assert claims["course"]["facts"] == {"skill": "japanese", "destination": "JP"}
    _reader, text = read(pdf.render(certificate, url_of(certificate)))
    assert "(Japanese, preparing for work in Japan)" in text
    assert "(Jepang" in text or tr("Japanese", "id") in text
    assert "kelas migran vokasi" in text


def test_a_certificate_signed_before_the_facts_keeps_the_plain_wording(create_course):
    course_type = course_type_of(create_course("school_class"))
    values = {"name": "Siti", "course": "Kelas Jepang", "hours": 120, "partner": "SMK 1"}
    plain = course_type.certificate_text("en", **values)
    assert "(" not in plain and "Kelas Jepang" in plain
    only_skill = course_type.certificate_text("en", facts={"skill": "caregiving"}, **values)
    assert "(Caregiving)" in only_skill

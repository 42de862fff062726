"""The public catalogue and course pages."""

import re
from datetime import time, timedelta

import pytest
from flask_babel import force_locale, ngettext
from sqlalchemy import func, insert, select

from lms.auth.models import User
from lms.catalog.models import Course, CourseSession, course_trainers
from lms.core.time import combine_local, local_today
from lms.core.types import utcnow
from lms.enrollment.models import Enrollment
from lms.partners.models import Partner
from tests.fixtures.catalog import insert_courses
from tests.fixtures.i18n import tr
from tests.fixtures.queries import statements_of

EN = {"Accept-Language": "en"}


def plural_in(lang, singular, plural, num, **params):
    """A plural message as the pages say it in ``lang``."""
    with force_locale(lang):
        return ngettext(singular, plural, num, **params)


def test_catalogue_lists_published_courses_only(client, create_course):
    create_course("language", title="Bahasa Mandarin Dasar")
    create_course("hospitality", title="Tata Graha Draf", status="draft")
    create_course("plantation", title="Sawit Arsip", status="archived")
    page = client.get("/courses/")
    assert page.status_code == 200
    assert "Bahasa Mandarin Dasar" in page.text
    assert "Tata Graha Draf" not in page.text
    assert "Sawit Arsip" not in page.text


def test_filter_by_type_and_language(client, create_course):
    create_course(
        "language", title="Mandarin A", details={"language": "zh", "target_level": "HSK1"}
    )
    create_course("language", title="Jepang B", details={"language": "ja", "target_level": "N5"})
    create_course("hospitality", title="Perhotelan C")
    page = client.get("/courses/?type=language&d_language=ja")
    assert "Jepang B" in page.text
    assert "Mandarin A" not in page.text and "Perhotelan C" not in page.text
    everything = client.get("/courses/?type=language")
    assert "Mandarin A" in everything.text and "Perhotelan C" not in everything.text


def test_multi_choice_detail_filter(client, create_course):
    create_course(
        "digital_marketing",
        title="Kelas Toko Online",
        details={"channels": ["marketplace"], "practical_assignment": "Toko"},
    )
    create_course(
        "digital_marketing",
        title="Kelas Konten",
        details={"channels": ["social_media"], "practical_assignment": "Konten"},
    )
    page = client.get("/courses/?type=digital_marketing&d_channels=social_media")
    assert "Kelas Konten" in page.text and "Kelas Toko Online" not in page.text


def test_search_partner_location_and_open_filters(client, create_course, create_partner):
    partner = create_partner(name="BLK Metro", mou_valid_until=local_today() + timedelta(days=90))
    create_course(
        "hospitality", title="Front Office", code="HSP-FO-1", partner=partner, location="Metro"
    )
    today = local_today()
    create_course(
        "hospitality",
        title="Kuliner Nanti",
        registration_opens_at=combine_local(today + timedelta(days=3), time(8)),
        registration_closes_at=combine_local(today + timedelta(days=10), time(8)),
    )
    assert "Front Office" in client.get("/courses/?q=hsp-fo").text
    assert "Front Office" in client.get("/courses/?q=front").text
    assert "Kuliner Nanti" not in client.get("/courses/?q=front").text
    assert "Front Office" in client.get(f"/courses/?partner_id={partner.id}").text
    assert "Kuliner Nanti" not in client.get(f"/courses/?partner_id={partner.id}").text
    assert "Front Office" in client.get("/courses/?location=metro").text
    open_now = client.get("/courses/?open=1").text
    assert "Front Office" in open_now and "Kuliner Nanti" not in open_now


def test_states_are_shown(client, create_course):
    today = local_today()
    create_course(
        "hospitality",
        title="Segera",
        registration_opens_at=combine_local(today + timedelta(days=3), time(8)),
        registration_closes_at=combine_local(today + timedelta(days=10), time(8)),
    )
    create_course("hospitality", title="Buka")
    create_course(
        "hospitality",
        title="Selesai",
        starts_on=today - timedelta(days=40),
        ends_on=today - timedelta(days=10),
        registration_opens_at=utcnow() - timedelta(days=60),
        registration_closes_at=combine_local(today - timedelta(days=41), time(8)),
    )
    page = client.get("/courses/", headers=EN).text
    assert "Registration opens on" in page
    assert "Open for registration" in page
    assert "Finished" in page


#: how each state of a course reads on its card and its page: (badge, seats), in a language
STATE_TEXTS = {
    "open": lambda lang: (
        tr("Open for registration", lang),
        plural_in(
            lang,
            "%(num)s seat left of %(capacity)s",
            "%(num)s seats left of %(capacity)s",
            15,
            capacity=20,
        ),
    ),
    "waitlist": lambda lang: (
        tr("Full — waitlist open", lang),
        plural_in(lang, "%(num)s person on the waitlist", "%(num)s people on the waitlist", 3),
    ),
    "full": lambda lang: (
        tr("Full", lang),
        plural_in(lang, "%(num)s seat", "%(num)s seats", 20),
    ),
    "closed": lambda lang: (
        tr("Registration closed", lang),
        plural_in(lang, "%(num)s seat", "%(num)s seats", 20),
    ),
}


@pytest.fixture
def course_in_state(create_course, create_user, db):
    """Make a course of capacity 20 in a state: open (5 enrolled), waitlist (full, 3 waiting),
    full (no waitlist), closed (registration over, or the course closed by the office)."""

    def _make(state):
        today, now = local_today(), utcnow()
        overrides = {"title": f"Kursus {state}", "title_en": f"Course {state}", "capacity": 20}
        if state == "full":
            overrides["waitlist"] = False
        if state == "closed_by_deadline":
            overrides.update(
                starts_on=today - timedelta(days=3),
                ends_on=today + timedelta(days=20),
                registration_opens_at=now - timedelta(days=20),
                registration_closes_at=combine_local(today - timedelta(days=4), time(23, 59)),
            )
        if state == "closed_by_office":
            overrides["status"] = "closed"
        course = create_course("hospitality", **overrides)
        course.enrolled_count = 5 if state == "open" else 0
        if state in ("waitlist", "full"):
            course.enrolled_count = course.capacity
        if state == "waitlist":
            for position in range(1, 4):
                waiting = create_user("trainee")
                db.session.add(
                    Enrollment(
                        course_id=course.id,
                        user_id=waiting.id,
                        status="waitlisted",
                        waitlist_position=position,
                    )
                )
        db.session.commit()
        return course

    return _make


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize(
    "state, texts",
    [
        ("open", "open"),
        ("waitlist", "waitlist"),
        ("full", "full"),
        ("closed_by_deadline", "closed"),
        ("closed_by_office", "closed"),
    ],
)
def test_state_and_seats_on_the_card_and_the_course_page(
    client, course_in_state, state, texts, lang
):
    course = course_in_state(state)
    badge, seats = STATE_TEXTS[texts](lang)
    headers = {"Accept-Language": lang}
    listing = client.get("/courses/", headers=headers)
    assert listing.status_code == 200
    assert f">{badge}</span>" in listing.text
    assert f'<p class="card-text small mb-0">{seats}</p>' in listing.text
    page = client.get(f"/courses/{course.id}", headers=headers)
    assert page.status_code == 200
    assert f">{badge}</span>" in page.text
    assert f'<dd data-testid="seats">{seats}</dd>' in page.text
    # no other state is claimed
    for other, other_texts in STATE_TEXTS.items():
        if other != texts:
            other_badge = other_texts(lang)[0]
            assert f">{other_badge}</span>" not in listing.text
            assert f">{other_badge}</span>" not in page.text


def test_unknown_filter_values_are_ignored(client, create_course):
    create_course("hospitality", title="Tata Graha")
    page = client.get("/courses/?type=nope&d_language=xx&partner_id=abc&page=999")
    assert page.status_code == 200


def _codes(text):
    return re.findall(r"BULK-\d{5}", text)


def _link(text, label):
    """The href of the pager's link ``label``, unescaped."""
    found = re.search(r'href="([^"]+)">' + label + "</a>", text)
    return found.group(1).replace("&amp;", "&") if found else None


def test_catalogue_pages_by_position(client, db, app, create_partner):
    # keyset pages: ?after= the last course shown, ?before= the first; no offset, no page count
    partner = create_partner()
    insert_courses([partner.id], 0, app.config["PER_PAGE"] + 3, spread=True)
    db.session.commit()
    first = client.get("/courses/", headers=EN).text
    shown = _codes(first)
    assert len(shown) == app.config["PER_PAGE"]
    assert "23 courses found" in first
    assert _link(first, "First page") is None
    following = _link(first, "Next")
    assert "after=" in following
    second = client.get(following, headers=EN).text
    rest = _codes(second)
    assert len(rest) == 3 and not set(rest) & set(shown)
    assert len(set(shown + rest)) == 23
    assert _link(second, "Next") == "#"
    back = client.get(_link(second, "Previous"), headers=EN).text
    assert _codes(back) == shown
    assert _link(second, "First page") == "/courses/"
    # the order is the newest start first, the id breaking ties, across the pages
    starts = dict(db.session.execute(select(Course.code, Course.starts_on)).all())
    order = [starts[c] for c in shown + rest]
    assert order == sorted(order, reverse=True)


def test_catalogue_pages_keep_the_filters(client, db, app, create_partner):
    partner = create_partner()
    insert_courses([partner.id], 0, app.config["PER_PAGE"] + 1, spread=True)
    db.session.commit()
    first = client.get(f"/courses/?partner_id={partner.id}&q=massal", headers=EN).text
    following = _link(first, "Next")
    assert f"partner_id={partner.id}" in following and "q=massal" in following
    assert len(_codes(client.get(following).text)) == 1


@pytest.mark.parametrize(
    "cursor", ["after=x", "after=2026-01-01.abc", "before=.5", "after=2026-13-01.1"]
)
def test_a_bad_cursor_shows_the_first_page(client, create_course, cursor):
    create_course("hospitality", title="Tata Graha")
    page = client.get(f"/courses/?{cursor}")
    assert page.status_code == 200 and "Tata Graha" in page.text


def test_catalogue_counts_up_to_a_limit(client, db, app, create_partner, monkeypatch):
    from lms.catalog import services

    monkeypatch.setattr(services, "CATALOG_COUNT_LIMIT", 5)
    partner = create_partner()
    insert_courses([partner.id], 0, 6)
    db.session.commit()
    assert "More than 5 courses found" in client.get("/courses/", headers=EN).text
    monkeypatch.setattr(services, "CATALOG_COUNT_LIMIT", 6)
    assert "6 courses found" in client.get("/courses/", headers=EN).text


def _plan(db, query):
    """SQLite's plan of a select, as one line."""
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    with db.engine.connect() as connection:
        return " ".join(str(r[-1]) for r in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))


@pytest.mark.parametrize(
    "filters",
    [{}, {"type": "hospitality"}, {"partner_id": 1}],
    ids=["all", "type", "partner"],
)
def test_an_index_serves_the_catalogue_order(db, filters):
    # a page walks an index in the page's order and stops: no sort of every matching course,
    # even on a new SQLite database without statistics (it would pick the status index)
    from datetime import date

    from lms.catalog.services import CatalogFilters, count_select, page_select

    if db.engine.dialect.name != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL plans by its statistics")
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS sqlite_stat1")
    chosen = CatalogFilters(**filters)
    now = utcnow()
    for after, before in (
        (None, None),
        ((date(2030, 1, 1), 5), None),
        (None, (date(2020, 1, 1), 5)),
    ):
        plan = _plan(db, page_select(chosen, after, before, 21, now))
        assert "TEMP B-TREE" not in plan, plan
        assert "starts_on" in plan, plan
    assert "TEMP B-TREE" not in _plan(db, count_select(chosen, now))


def test_the_catalogue_count_stops_at_the_limit(client, db):
    _response, sent = statements_of(lambda: client.get("/courses/"))
    count = next(s for s in sent if "count(" in s and "FROM courses" in s)
    assert "LIMIT" in count


def test_course_page_shows_schedule_partner_and_details(client, create_course, create_session):
    course = create_course(
        "language",
        title="Bahasa Kanton",
        title_en="Cantonese",
        details={"language": "yue", "target_level": "A2", "pass_mark": 70},
        target_groups=["cpmi"],
        min_age=18,
        max_age=35,
    )
    create_session(course, topic="Salam dan perkenalan")
    page = client.get(f"/courses/{course.id}", headers=EN)
    assert page.status_code == 200
    text = page.text
    assert "Cantonese" in text and course.partner.name in text
    assert "Salam dan perkenalan" in text and "08:00" in text
    assert "CEFR A2" in text and "pass mark is 70" in text
    assert "Aged 18 to 35" in text
    indonesian = client.get(f"/courses/{course.id}").text
    assert "Bahasa Kanton" in indonesian


@pytest.mark.parametrize("role", [None, "trainee", "trainer"])
def test_draft_course_is_hidden_from_non_staff(client, login, users_by_role, create_course, role):
    course = create_course("hospitality", status="draft")
    if role:
        login(users_by_role[role])
    assert client.get(f"/courses/{course.id}").status_code == 404


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_see_draft_course(client, login, users_by_role, create_course, role):
    course = create_course("hospitality", status="draft")
    login(users_by_role[role])
    assert client.get(f"/courses/{course.id}").status_code == 200


def test_missing_course_is_404(client):
    assert client.get("/courses/999999").status_code == 404


def _bulk_partners(db, count):
    """Insert ``count`` partners with a valid MoU; returns their ids."""
    names = [f"Mitra Massal {i:02d}" for i in range(count)]
    valid = local_today() + timedelta(days=365)
    db.session.execute(
        insert(Partner),
        [{"name": n, "kind": "vocational_centre", "mou_valid_until": valid} for n in names],
    )
    return db.session.scalars(select(Partner.id).where(Partner.name.in_(names))).all()


def _bulk_courses(db, partner_ids, first, count):
    """Insert ``count`` published courses fast, the partners taken in turn, each course with a
    trainer of its own (of its partner) and a session."""
    now = utcnow()
    courses = insert_courses(partner_ids, first, count)
    db.session.execute(
        insert(User),
        [
            {
                "email": f"pelatih-massal-{course_id}@example.org",
                "password_hash": "-",
                "name": f"Pelatih Massal {course_id}",
                "role": "trainer",
                "partner_id": partner_id,
                "active": True,
                "session_version": 1,
                "created_at": now,
            }
            for course_id, partner_id in courses
        ],
    )
    trainers = dict(
        db.session.execute(
            select(User.email, User.id).where(User.email.like("pelatih-massal-%"))
        ).all()
    )
    db.session.execute(
        insert(course_trainers),
        [
            {"course_id": course_id, "user_id": trainers[f"pelatih-massal-{course_id}@example.org"]}
            for course_id, _partner_id in courses
        ],
    )
    starts = combine_local(local_today() + timedelta(days=30), time(8))  # the courses' first day
    db.session.execute(
        insert(CourseSession),
        [
            {"course_id": course_id, "starts_at": starts, "ends_at": starts + timedelta(hours=4)}
            for course_id, _partner_id in courses
        ],
    )
    db.session.commit()


def test_catalogue_query_count_does_not_grow_with_courses(client, db, app):
    # a partner and a trainer per course on a page: a query per course for either would show
    partner_ids = _bulk_partners(db, app.config["PER_PAGE"])
    names = dict(db.session.execute(select(Partner.id, Partner.name)).all())

    def page():
        return client.get("/courses/?type=hospitality")

    def shown_with_partner(response):
        """Every course on the page is shown with its own partner and its own trainer."""
        courses = db.session.execute(
            select(Course.id, Course.code, Course.partner_id).where(
                Course.code.in_(set(re.findall(r"BULK-\d{5}", response.text)))
            )
        ).all()
        assert courses
        for course_id, code, partner_id in courses:
            assert f"{code} · {names[partner_id]}" in response.text
            assert f"Pelatih Massal {course_id}</p>" in response.text
        return len(courses)

    _bulk_courses(db, partner_ids, 0, 10)
    small, few = statements_of(page)
    assert shown_with_partner(small) == 10
    _bulk_courses(db, partner_ids, 10, 990)
    assert db.session.scalar(select(func.count()).select_from(Course)) == 1000
    large, many = statements_of(page)
    assert shown_with_partner(large) == app.config["PER_PAGE"]
    assert len(few) == len(many), "\n".join(many)


def test_moving_a_course_to_a_partner_without_valid_mou_is_refused(create_course, create_partner):
    from lms.catalog.services import update_course
    from lms.errors import InvalidInput

    course = create_course("hospitality")
    expired = create_partner(mou_valid_until=local_today() - timedelta(days=1))
    with pytest.raises(InvalidInput) as refused:
        update_course(course, {"partner_id": expired.id, "trainer_ids": []})
    assert "partner_id" in refused.value.fields


def test_new_dates_must_keep_the_sessions_inside(create_course, create_session):
    from lms.catalog.services import update_course
    from lms.errors import InvalidInput

    course = create_course("hospitality")
    create_session(course)  # on the first day
    with pytest.raises(InvalidInput) as refused:
        update_course(course, {"starts_on": course.starts_on + timedelta(days=1)})
    assert "starts_on" in refused.value.fields
    update_course(course, {"ends_on": course.ends_on + timedelta(days=7)})


def test_an_id_beyond_a_database_integer_is_404(client):
    assert client.get("/courses/99999999999999999999").status_code == 404


def test_a_draft_shows_to_whom_the_api_shows_it(
    client, login, create_partner, create_user, create_course, api_headers
):
    """One visibility rule for the page and the API: an assigned trainer sees their draft course,
    a trainer of the same partner not assigned to it and a trainee get the same 404 as for
    nothing at all."""
    partner = create_partner(mou_valid_until=local_today() + timedelta(days=365))
    mine = create_user("trainer", partner_id=partner.id)
    other = create_user("trainer", partner_id=partner.id)
    trainee = create_user("trainee")
    draft = create_course(partner=partner, trainers=[mine], status="draft")
    for user, status in ((mine, 200), (other, 404), (trainee, 404)):
        page = login(user).get(f"/courses/{draft.id}")
        api = client.get(f"/api/v1/courses/{draft.id}", headers=api_headers(user))
        assert (page.status_code, api.status_code) == (status, status), user.name


def test_every_catalogue_page_is_shareable_for_a_visitor(client, db, app, create_partner):
    partner = create_partner()
    insert_courses([partner.id], 0, app.config["PER_PAGE"] + 1, spread=True)
    db.session.commit()
    first = client.get("/courses/", headers=EN)
    second = client.get(_link(first.text, "Next"), headers=EN)
    for page in (first, second):
        assert (
            page.headers["Cache-Control"] == f"public, max-age={app.config['PUBLIC_PAGE_MAX_AGE']}"
        )

"""The anonymous catalogue page kept by each worker (lms.catalog.pagecache): served again only
while nothing it shows has changed, per language, never to a signed-in visitor."""

from datetime import timedelta

import pytest
from flask_babel import force_locale, ngettext
from sqlalchemy import event, select, text, update

from lms.catalog import services as catalog
from lms.catalog.models import CatalogVersion, Course
from lms.core.time import local_today
from lms.enrollment import services as enrolment
from lms.extensions import db
from tests.fixtures.i18n import tr

EN = {"Accept-Language": "en"}


@pytest.fixture
def cached_app(make_app):
    """An app whose catalogue pages are cached (the suite's configuration renders every time),
    with the version row its migration inserts (the suite's cleaning deletes it)."""
    if db.session.get(CatalogVersion, 1) is None:
        db.session.add(CatalogVersion(id=1, version=1))
        db.session.commit()
    return make_app(CATALOG_PAGE_CACHE_SECONDS=60)


def sql_of(app):
    """``with sql_of(app) as seen:`` — the statements ``app``'s requests send."""

    class Watch:
        def __enter__(self):
            with app.app_context():
                self.engine = db.engine
            self.seen = []
            event.listen(self.engine, "before_cursor_execute", self._note)
            return self.seen

        def _note(self, _conn, _cursor, statement, *_args):
            self.seen.append(statement)

        def __exit__(self, *exc):
            event.remove(self.engine, "before_cursor_execute", self._note)

    return Watch()


def version():
    db.session.expire_all()
    return db.session.scalar(select(CatalogVersion.version))


def test_the_same_page_is_served_again_with_one_statement(cached_app, create_course):
    create_course(title="Tata Boga Dasar")
    client = cached_app.test_client()
    first = client.get("/courses/")
    assert "Tata Boga Dasar" in first.text
    with sql_of(cached_app) as seen:
        again = client.get("/courses/")
    assert again.text == first.text
    assert len(seen) == 1 and "catalog_version" in seen[0], seen
    # the page is as cacheable for proxies as before, and has no cookie
    assert "public" in again.headers["Cache-Control"]
    assert "Set-Cookie" not in again.headers


def test_a_seat_taken_shows_at_once(cached_app, create_course, create_user):
    course = create_course(title="Barista Pemula", capacity=3)
    client = cached_app.test_client()

    def seats(num):
        with force_locale("id"):
            return ngettext(
                "%(num)s seat left of %(capacity)s",
                "%(num)s seats left of %(capacity)s",
                num,
                capacity=3,
            )

    assert seats(3) in client.get("/courses/").text
    trainee = create_user("trainee")
    before = version()
    enrolment.enroll(trainee, course)
    db.session.commit()
    assert version() == before + 1
    page = client.get("/courses/").text
    assert seats(2) in page and seats(3) not in page


def test_a_waitlist_place_shows_at_once(cached_app, create_course, create_user):
    """A place on the waitlist changes no seat: on PostgreSQL it is written without a flush and
    decided by statements the page's listeners cannot tell (lms.core.rows); the page still
    shows it at once."""
    course = create_course(title="Barista Pemula", capacity=1, waitlist=True)
    enrolment.enroll(create_user("trainee"), course)
    db.session.commit()
    client = cached_app.test_client()

    def waiting(num):
        with force_locale("id"):
            return ngettext("%(num)s person on the waitlist", "%(num)s people on the waitlist", num)

    assert waiting(1) not in client.get("/courses/").text
    before = version()
    assert enrolment.enroll(create_user("trainee"), course).status == "waitlisted"
    db.session.commit()
    assert version() == before + 1
    assert waiting(1) in client.get("/courses/").text


def test_a_bulk_update_of_a_course_bumps_the_version(cached_app, create_course):
    """The seat decision on PostgreSQL is one conditional UPDATE, not a flush."""
    course = create_course(capacity=5)
    before = version()
    db.session.execute(
        update(Course)
        .where(Course.id == course.id)
        .values(enrolled_count=Course.enrolled_count + 1),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    assert version() == before + 1


def test_an_edit_shows_at_once_and_a_rollback_changes_nothing(cached_app, create_course):
    course = create_course(title="Perhotelan Lama")
    client = cached_app.test_client()
    assert "Perhotelan Lama" in client.get("/courses/").text
    before = version()
    course.title = "Perhotelan Dibatalkan"
    db.session.flush()
    db.session.rollback()
    assert version() == before
    catalog.update_course(db.session.get(Course, course.id), {"title": "Perhotelan Baru"})
    db.session.commit()
    page = client.get("/courses/").text
    assert "Perhotelan Baru" in page and "Perhotelan Lama" not in page


def test_a_change_elsewhere_keeps_the_page(cached_app, create_course, create_user):
    create_course()
    user = create_user("trainee")
    before = version()
    user.phone = "081234567899"
    db.session.commit()
    assert version() == before


def test_each_language_has_its_own_page(cached_app, create_course):
    create_course(title="Pelatihan Uji", title_en="Test training")
    client = cached_app.test_client()
    indonesian = client.get("/courses/").text
    english = client.get("/courses/", headers=EN).text
    assert "Pelatihan Uji" in indonesian and "Test training" not in indonesian
    assert "Test training" in english and "Pelatihan Uji" not in english
    assert client.get("/courses/").text == indonesian
    other = cached_app.test_client()
    other.set_cookie("lms_locale", "en")
    assert other.get("/courses/").text == english


def test_each_query_has_its_own_page(cached_app, create_course):
    create_course("language", title="Bahasa Jepang")
    create_course("hospitality", title="Tata Graha")
    client = cached_app.test_client()
    assert "Tata Graha" in client.get("/courses/").text
    only = client.get("/courses/?type=language").text
    assert "Bahasa Jepang" in only and "Tata Graha" not in only


def test_a_signed_in_visitor_never_gets_the_cached_page(cached_app, create_course, create_user):
    create_course(title="Kelas Umum")
    anonymous = cached_app.test_client()
    shared = anonymous.get("/courses/").text
    trainee = create_user("trainee", name="Sari Peserta")
    from tests.fixtures.users import log_in

    signed_in = log_in(cached_app.test_client(), trainee)
    page = signed_in.get("/courses/")
    assert page.text != shared
    assert "Sari Peserta" in page.text and 'data-testid="profile-link"' in page.text
    assert "private" in page.headers["Cache-Control"]
    # and the signed-in page is not kept for the next visitor
    assert anonymous.get("/courses/").text == shared
    assert "Sari Peserta" not in anonymous.get("/courses/").text


def test_a_visitor_with_a_flash_message_gets_it(cached_app, create_course):
    create_course(title="Kelas Umum")
    client = cached_app.test_client()
    client.get("/courses/")
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Pesan untuk Anda saja")]
    assert "Pesan untuk Anda saja" in client.get("/courses/").text
    assert "Pesan untuk Anda saja" not in cached_app.test_client().get("/courses/").text


def test_registration_opening_shows_without_a_change(cached_app, create_course, clock):
    from lms.core.types import utcnow

    create_course(title="Segera Dibuka", registration_opens_at=utcnow() + timedelta(minutes=10))
    client = cached_app.test_client()
    opens = f'<span class="badge text-bg-success">{tr("Open for registration")}</span>'
    assert opens not in client.get("/courses/").text
    clock.shift(timedelta(minutes=11))
    assert opens in client.get("/courses/").text


def test_without_the_version_row_nothing_is_cached(cached_app, create_course):
    create_course(title="Kelas Awal")
    client = cached_app.test_client()
    db.session.execute(text("DELETE FROM catalog_version"))
    db.session.commit()
    assert "Kelas Awal" in client.get("/courses/").text
    db.session.execute(text("UPDATE courses SET title = 'Kelas Ganti'"))
    db.session.commit()
    assert "Kelas Ganti" in client.get("/courses/").text


def test_every_worker_drops_the_page_at_the_commit(cached_app, make_app, create_course):
    """Two workers (two apps on one database) each keep the page; one commit ends both."""
    course = create_course(title="Kelas Pertama")
    second = make_app(CATALOG_PAGE_CACHE_SECONDS=60)
    clients = [cached_app.test_client(), second.test_client()]
    assert all("Kelas Pertama" in c.get("/courses/").text for c in clients)
    course.title = "Kelas Kedua"
    db.session.commit()
    for client in clients:
        page = client.get("/courses/").text
        assert "Kelas Kedua" in page and "Kelas Pertama" not in page


def test_a_trainer_renamed_or_a_partner_renamed_shows(
    cached_app, create_course, create_user, create_partner
):
    partner = create_partner(mou_valid_until=local_today() + timedelta(days=365))
    trainer = create_user("trainer", name="Budi Pelatih", partner_id=partner.id)
    course = create_course(title="Kelas Budi", trainers=[trainer], partner=partner)
    client = cached_app.test_client()
    assert "Budi Pelatih" in client.get("/courses/").text
    trainer.name = "Budi Santoso"
    db.session.commit()
    assert "Budi Santoso" in client.get("/courses/").text
    course.partner.name = "Mitra Berganti Nama"
    db.session.commit()
    assert "Mitra Berganti Nama" in client.get("/courses/").text


def test_the_cache_is_bounded_in_pages_and_in_bytes():
    import sys

    from lms.catalog.pagecache import PageCache

    pages = PageCache(size=3, max_bytes=10_000)
    for i in range(5):
        pages.put(("id", str(i).encode()), 1, 99, "x" * 100)
    assert [key[1] for key in pages.pages] == [b"2", b"3", b"4"]  # the oldest went first
    pages.get(("id", b"2"), 1, 0)  # served again: now the most recent
    pages.put(("id", b"big"), 1, 99, "y" * 9_700)
    assert [key[1] for key in pages.pages] == [b"2", b"big"]  # over the page count, then the bytes
    assert pages.bytes <= 10_000
    pages.put(("id", b"huge"), 1, 99, "z" * 20_000)  # larger than the whole cache: not kept
    assert pages.get(("id", b"huge"), 1, 0) is None
    pages.put(("id", b"2"), 2, 99, "w" * 100)  # the same key again replaces its entry
    assert pages.get(("id", b"2"), 2, 0) == "w" * 100
    assert pages.bytes == sum(sys.getsizeof(e[2]) for e in pages.pages.values())
    assert pages.get(("id", b"2"), 3, 0) is None  # a newer version drops it
    pages.clear()
    assert pages.bytes == 0 and not pages.pages

"""The certificate PDF and the course ZIP, read back with pypdf: the holder's name (Unicode), the
course, the serial, the type's wording in both languages, the signatories, a QR code that decodes
to the verification URL, the same bytes every time, the revoked mark, the embedded font, and a ZIP
with one readable PDF per valid certificate under a safe name."""

import io
import json
import zipfile
from datetime import date, time, timedelta

import pypdf
import pytest
import zxingcpp

from lms.attendance import services as attendance
from lms.catalog.services import course_type_of
from lms.certificates import archive, pdf
from lms.certificates import services as certificates
from lms.certificates.models import Certificate
from lms.core.time import combine_local, local_today
from lms.enrollment import services as enrolment
from lms.extensions import db
from lms.privacy import services as privacy

NAMES = ["Ṣiti Nur'aini", "Ñoman Ketut"]


@pytest.fixture
def finished_course(create_user, create_partner, create_course, create_session):
    """``finished_course(type_key, names)``: a course that ended three days ago, whose trainees
    (named ``names``) attended both sessions and passed the assessment where the type needs one;
    their certificates are issued and committed. Returns (course, staff, certificates in order)."""

    def _make(type_key="hospitality", names=NAMES):
        staff = create_user("staff", name="Rina Marlina")
        partner = create_partner(
            name="UPTD Balai Latihan Kerja Kota Bandar Lampung",
            mou_valid_until=local_today() + timedelta(days=365),
        )
        today = local_today()
        course = create_course(
            type_key,
            partner=partner,
            title="Tata Graha Hotel",
            title_en="Hotel Housekeeping",
            starts_on=today - timedelta(days=30),
            ends_on=today - timedelta(days=3),
        )
        sessions = [
            create_session(
                course, starts_at=combine_local(course.starts_on + timedelta(days=day), time(8))
            )
            for day in (0, 1)
        ]
        enrollments = []
        for name in names:
            trainee = create_user("trainee", name=name)
            enrollments.append(enrolment.enroll(trainee, course, actor=staff, bypass_window=True))
        for session in sessions:
            records = [{"enrollment_id": e.id, "status": "present"} for e in enrollments]
            attendance.save_marks(session, records, staff)
        if course_type_of(course).requires_assessment:
            for enrollment in enrollments:
                attendance.set_assessment(enrollment, staff, score=90, competent=True)
        issued, skipped = certificates.issue(course, staff)
        db.session.commit()
        assert not skipped and len(issued) == len(names)
        return course, staff, sorted(issued, key=lambda c: c.serial)

    return _make


def url_of(certificate):
    return certificates.verification_url(certificate)


def read(data):
    """(reader, the first page's text with its whitespace collapsed)."""
    reader = pypdf.PdfReader(io.BytesIO(data))
    return reader, " ".join(reader.pages[0].extract_text().split())


def holder_of(certificate):
    return certificates.claims(certificate)["holder"]


def test_text_holds_the_name_course_serial_and_details(finished_course):
    course, _staff, issued = finished_course()
    assert {holder_of(c) for c in issued} == set(NAMES)
    for certificate in issued:
        reader, text = read(pdf.render(certificate, url_of(certificate)))
        assert len(reader.pages) == 1
        page = reader.pages[0]
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (842, 595)  # A4 landscape
        for expected in (
            holder_of(certificate),
            certificate.serial,
            "SERTIFIKAT",
            "CERTIFICATE",
            "BP3MI LAMPUNG",
            "Tata Graha Hotel",
            "Hotel Housekeeping",
            "Perhotelan",
            "Hospitality",
            "UPTD Balai Latihan Kerja Kota Bandar Lampung",
            "120 jam pelajaran",
            "120 lesson hours",
            "Kepala BP3MI Lampung,",
            "Dra. Siti Aminah, M.Si.",
            url_of(certificate),
            "-".join(certificate.code[i : i + 4] for i in (0, 4, 8)),
        ):
            assert expected in text, expected
        assert "DICABUT" not in text and "REVOKED" not in text
        # the claims' dates, in Indonesian and in English
        assert pdf._date_range(course.starts_on, course.ends_on, "id") in text
        assert pdf._date_range(course.starts_on, course.ends_on, "en") in text
        # no private field of the holder
        user = certificate.enrollment.user
        for private in (user.nik, user.phone, user.email, user.birth_date.isoformat()):
            assert private not in text


@pytest.mark.parametrize(
    "type_key", ["hospitality", "plantation", "language", "entrepreneurship", "digital_marketing"]
)
def test_each_type_prints_its_own_wording_in_both_languages(finished_course, type_key):
    course, _staff, issued = finished_course(type_key, names=["Ñoman Ketut"])
    certificate = issued[0]
    claims = certificates.claims(certificate)
    course_type = course_type_of(course)
    _reader, text = read(pdf.render(certificate, url_of(certificate)))
    for locale, title in (("id", course.title), ("en", course.title_en)):
        wording = course_type.certificate_text(
            locale,
            name=claims["holder"],
            course=title,
            hours=claims["hours"],
            partner=claims["partner"],
        )
        assert " ".join(wording.split()) in text
        assert course_type.label(locale) in text
    assert "Ñoman Ketut" in text and certificate.serial in text


def test_the_qr_code_decodes_to_the_verification_url(finished_course):
    _course, _staff, issued = finished_course()
    for certificate in issued:
        reader, _text = read(pdf.render(certificate, url_of(certificate)))
        images = reader.pages[0].images
        assert len(images) == 1
        decoded = zxingcpp.read_barcodes(images[0].image)
        assert [(b.format, b.text) for b in decoded] == [
            (zxingcpp.BarcodeFormat.QRCode, url_of(certificate))
        ]


def test_a_long_verification_url_wraps_and_still_decodes(finished_course):
    _course, _staff, issued = finished_course(names=["Ñoman Ketut"])
    certificate = issued[0]
    url = f"https://sertifikat.bp3mi-lampung.kementerian-p2mi.example.go.id/latih/verify/{certificate.code}"
    reader, text = read(pdf.render(certificate, url))
    [image] = reader.pages[0].images
    assert [b.text for b in zxingcpp.read_barcodes(image.image)] == [url]
    assert url not in text  # printed on two lines, broken after a slash
    assert url in text.replace("/ ", "/")


def test_the_same_certificate_gives_the_same_bytes(finished_course, app):
    _course, _staff, issued = finished_course()
    certificate = issued[0]
    first = pdf.render(certificate, url_of(certificate))
    assert pdf.render(certificate, url_of(certificate)) == first
    # also from a fresh load of the record, in a request in another language
    certificate_id = certificate.id
    db.session.expire_all()
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        again = db.session.get(Certificate, certificate_id)
        assert pdf.render(again, url_of(again)) == first
    other = pdf.render(issued[1], url_of(issued[1]))
    assert other != first
    reader, _text = read(first)
    assert reader.metadata.title == f"Sertifikat {certificate.serial}"
    assert reader.metadata.author == "BP3MI Lampung"


def test_the_font_is_embedded(finished_course):
    _course, _staff, issued = finished_course()
    reader, _text = read(pdf.render(issued[0], url_of(issued[0])))
    fonts = [f.get_object() for f in reader.pages[0]["/Resources"]["/Font"].values()]
    assert fonts
    for font in fonts:
        assert "NotoSans" in font["/BaseFont"]
        assert "/FontFile2" in font["/FontDescriptor"]


def test_a_revoked_certificate_is_marked_revoked(finished_course):
    _course, staff, issued = finished_course()
    certificate = issued[0]
    valid = pdf.render(certificate, url_of(certificate))
    certificates.revoke(certificate, staff, "Nama salah ketik")
    db.session.commit()
    revoked = pdf.render(certificate, url_of(certificate))
    assert revoked != valid
    _reader, text = read(revoked)
    assert "DICABUT" in text and "REVOKED" in text
    assert "Dicabut pada" in text and "Revoked on" in text
    assert holder_of(certificate) in text and certificate.serial in text
    assert pdf.render(certificate, url_of(certificate)) == revoked


def test_signatories_come_from_the_settings(finished_course, app, monkeypatch):
    # as JSON from the environment (a list of {name, title}); (name, title) pairs work too
    monkeypatch.setitem(
        app.config,
        "CERTIFICATE_SIGNATORIES",
        [
            {"name": "Dr. Ṣalimah Hasibuan", "title": "Kepala Balai"},
            ("Ir. Budi Santoso", "Ketua Penyelenggara"),
        ],
    )
    _course, _staff, issued = finished_course()
    assert certificates.claims(issued[0])["signatories"] == [
        {"name": "Dr. Ṣalimah Hasibuan", "title": "Kepala Balai"},
        {"name": "Ir. Budi Santoso", "title": "Ketua Penyelenggara"},
    ]
    _reader, text = read(pdf.render(issued[0], url_of(issued[0])))
    for line in (
        "Dr. Ṣalimah Hasibuan",
        "Kepala Balai,",
        "Ir. Budi Santoso",
        "Ketua Penyelenggara,",
    ):
        assert line in text


def test_a_certificate_keeps_who_signed_it(finished_course, app, monkeypatch):
    """A new head of the office signs new certificates; the old ones still print the name
    signed into them. One signed before signatories were part of the claims prints the
    settings'."""
    _course, _staff, issued = finished_course()
    monkeypatch.setitem(
        app.config, "CERTIFICATE_SIGNATORIES", [{"name": "Ir. Baru Sekali", "title": "Kepala"}]
    )
    _reader, text = read(pdf.render(issued[0], url_of(issued[0])))
    assert "Dra. Siti Aminah, M.Si." in text and "Baru Sekali" not in text
    claims = certificates.claims(issued[0])
    del claims["signatories"]
    issued[0].claims = json.dumps(claims)
    _reader, text = read(pdf.render(issued[0], url_of(issued[0])))
    assert "Ir. Baru Sekali" in text and "Kepala," in text


def test_a_missing_course_type_falls_back_to_generic_wording(finished_course, app, monkeypatch):
    _course, _staff, issued = finished_course()
    # a new mapping without the type (deleting from the app's own would put it back last, and
    # the order of the types is what other tests read)
    installed = app.extensions["course_types"]
    monkeypatch.setitem(
        app.extensions,
        "course_types",
        type(installed)((k, v) for k, v in installed.items() if k != "hospitality"),
    )
    _reader, text = read(pdf.render(issued[0], url_of(issued[0])))
    for expected in (
        holder_of(issued[0]),
        issued[0].serial,
        "Tata Graha Hotel",
        "Hotel Housekeeping",
        "dinyatakan kompeten",  # the kind (competence) chooses the generic wording
        "found competent",
    ):
        assert expected in text, expected


def test_a_long_name_still_fits_on_one_line(finished_course):
    name = "Ṣiti Nur'aini Purnamasari Wulandari Kusumawardhani binti Ahmad Ramadhani Hidayat"
    _course, _staff, issued = finished_course(names=[name])
    _reader, text = read(pdf.render(issued[0], url_of(issued[0])))
    assert name in text


def test_dates_read_naturally_in_both_languages():
    assert pdf._date_range(date(2026, 5, 4), date(2026, 5, 29), "id") == "4–29 Mei 2026"
    assert pdf._date_range(date(2026, 5, 4), date(2026, 5, 29), "en") == "4–29 May 2026"
    assert pdf._date_range(date(2026, 5, 4), date(2026, 6, 2), "id") == "4 Mei – 2 Juni 2026"
    assert (
        pdf._date_range(date(2026, 12, 28), date(2027, 1, 3), "en")
        == "28 December 2026 – 3 January 2027"
    )
    assert pdf._date_range(date(2026, 8, 17), date(2026, 8, 17), "id") == "17 Agustus 2026"


def test_file_names_are_safe_ascii():
    certificate = Certificate(
        serial="LPG/HSP/2026/00042",
        code="ABCDEFGHJKMN",
        claims='{"serial": "LPG/HSP/2026/00042", "holder": "Ṣiti Nur\'aini / Ñoman"}',
    )
    assert pdf.file_name(certificate) == "LPG-HSP-2026-00042_Siti_Nuraini_Noman.pdf"


def test_verify_url_uses_the_public_base_url(finished_course, app, monkeypatch):
    _course, _staff, issued = finished_course()
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://latih.bp3mi.example.go.id/")
    url = certificates.verification_url(issued[0])
    assert url.startswith("https://latih.bp3mi.example.go.id/")
    assert url.endswith(f"/verify/{issued[0].code}")


def test_the_course_zip_holds_one_pdf_per_valid_certificate(finished_course):
    names = [*NAMES, "Made Wirawan"]
    course, staff, issued = finished_course(names=names)
    revoked = next(c for c in issued if holder_of(c) == "Made Wirawan")
    certificates.revoke(revoked, staff, "Tidak hadir pada ujian")
    db.session.commit()
    valid = [c for c in issued if c is not revoked]
    ascii_names = {"Ṣiti Nur'aini": "Siti_Nuraini", "Ñoman Ketut": "Noman_Ketut"}
    expected = [
        f"{c.serial.replace('/', '-')}_{ascii_names[holder_of(c)]}.pdf"
        for c in sorted(valid, key=lambda c: c.serial)
    ]

    data = archive.course_zip(course)
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        assert zipped.testzip() is None
        assert zipped.namelist() == expected
        for name, certificate in zip(expected, sorted(valid, key=lambda c: c.serial), strict=True):
            content = zipped.read(name)
            assert content == pdf.render(certificate, url_of(certificate))
            _reader, text = read(content)
            assert holder_of(certificate) in text and certificate.serial in text
    # revoked ones are left out also when given; the order does not depend on the input's
    assert archive.course_zip(course, list(reversed(issued))) == data
    assert archive.zip_name(course) == f"sertifikat_{course.code}.zip"


def test_an_erased_holder_is_not_named_and_the_certificate_still_renders(finished_course):
    course, staff, issued = finished_course()
    erased, kept = issued
    name = holder_of(erased)
    privacy.anonymise(erased.enrollment.user, staff)
    db.session.commit()
    claims = certificates.claims(erased)
    assert claims["holder"] is None and pdf.holder_withheld(claims)
    assert certificates.signature_valid(erased)

    data = pdf.render(erased, url_of(erased))
    reader, text = read(data)
    for expected in (
        "Nama dirahasiakan atas permintaan pemegang sertifikat",
        "Name withheld at the holder's request",
        erased.serial,
        "Tata Graha Hotel",
        "Hotel Housekeeping",
        "120 jam pelajaran",
    ):
        assert expected in text, expected
    assert name not in text and "None" not in text
    assert reader.metadata.subject == "Tata Graha Hotel"
    assert "DICABUT" not in text  # still valid
    [image] = reader.pages[0].images
    assert [b.text for b in zxingcpp.read_barcodes(image.image)] == [url_of(erased)]
    assert pdf.render(erased, url_of(erased)) == data
    assert pdf.file_name(erased) == f"{erased.serial.replace('/', '-')}_holder.pdf"

    # the course's ZIP holds it under a name without a name, next to the others
    with zipfile.ZipFile(io.BytesIO(archive.course_zip(course))) as zipped:
        assert zipped.namelist() == [pdf.file_name(c) for c in issued]
        assert zipped.read(pdf.file_name(erased)) == data
        assert holder_of(kept) in read(zipped.read(pdf.file_name(kept)))[1]

    # revoked afterwards, it still renders, marked revoked
    certificates.revoke(erased, staff, "Dicabut")
    db.session.commit()
    _reader, text = read(pdf.render(erased, url_of(erased)))
    assert "DICABUT" in text and "Name withheld at the holder's request" in text


def test_a_type_whose_wording_names_the_holder_says_the_name_is_withheld(
    finished_course, app, monkeypatch
):
    _course, staff, issued = finished_course(names=["Ñoman Ketut"])
    certificate = issued[0]
    course_type = app.extensions["course_types"]["hospitality"]
    monkeypatch.setattr(
        course_type,
        "certificate_wording",
        {
            "id": "menyatakan bahwa {name} lulus {course}",
            "en": "states that {name} passed {course}",
        },
    )
    privacy.anonymise(certificate.enrollment.user, staff)
    db.session.commit()
    _reader, text = read(pdf.render(certificate, url_of(certificate)))
    assert "menyatakan bahwa Nama dirahasiakan atas permintaan pemegang sertifikat lulus" in text
    assert "states that Name withheld at the holder's request passed" in text
    assert "None" not in text

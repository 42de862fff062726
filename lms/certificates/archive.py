"""A course's certificates as one ZIP: a PDF per valid certificate, in a fixed order.

File names come from the serial (slashes replaced) and the holder's name in plain ASCII, e.g.
``LPG-HSP-2026-00042_Siti_Nuraini.pdf``. Entries are ordered by issue (the serial order), dated
with the certificate's date of issue and stored uncompressed (the PDFs are compressed already), so
the same certificates give the same archive.
"""

import io
import zipfile
from datetime import date

from sqlalchemy import select

from lms.enrollment.models import Enrollment
from lms.extensions import db

from . import pdf, services
from .models import Certificate


def valid_certificates(course):
    """The course's certificates that are not revoked, in the order they were issued."""
    return db.session.scalars(
        select(Certificate)
        .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        .where(Enrollment.course_id == course.id, Certificate.revoked_at.is_(None))
        .order_by(Certificate.issued_at, Certificate.id)
    ).all()


def zip_name(course):
    """The archive's file name, e.g. ``sertifikat_HSP-2026-01.zip``."""
    return f"sertifikat_{pdf.safe_ascii(course.code) or course.id}.zip"


def write_course_zip(out, course, certificates=None):
    """Write the ZIP to the file object ``out`` (it may be a non-seekable stream).

    ``certificates``: the ones to include (default: every valid one of the course); revoked
    ones are left out. Each QR code opens :func:`lms.certificates.services.verification_url`.
    Returns the names written, in order.
    """
    if certificates is None:
        certificates = valid_certificates(course)
    chosen = sorted(
        (c for c in certificates if c.revoked_at is None),
        key=lambda c: (c.issued_at, c.id or 0, c.serial),
    )
    names, seen = [], set()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for certificate in chosen:
            claims = services.claims(certificate)
            name = pdf.file_name(certificate, claims)
            stem, number = name[: -len(".pdf")], 2
            while name in seen:  # only if two serials differ by slashes alone
                name, number = f"{stem}_{number}.pdf", number + 1
            seen.add(name)
            issued = date.fromisoformat(claims["issued_on"])
            entry = zipfile.ZipInfo(
                name, date_time=(max(issued.year, 1980), issued.month, issued.day, 0, 0, 0)
            )
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, pdf.render(certificate, services.verification_url(certificate)))
            names.append(name)
    return names


def course_zip(course, certificates=None):
    """The ZIP as bytes (see :func:`write_course_zip`)."""
    buffer = io.BytesIO()
    write_course_zip(buffer, course, certificates)
    return buffer.getvalue()

"""Certificate pages: the public verification page (what the QR code on a certificate opens), the
staff pages (issue a course's certificates, list and search them, revoke and re-issue one, PDF and
ZIP downloads) and the trainee's own certificates.

The rules live in ``services``; these views find the records, check who may see them and render.
The public page shows what the certificate states (its signed claims) and never a NIK, a birth
date or contact data.
"""

import re
from dataclasses import dataclass
from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, format_date, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, joinedload

from lms.attendance.models import Assessment
from lms.audit import services as audit
from lms.auth.models import User
from lms.auth.permissions import roles_required
from lms.catalog.models import Course
from lms.catalog.services import course_type_of
from lms.certificates.filters import CertificateFilters
from lms.core.downloads import attachment
from lms.core.forms import apply_errors, form_status
from lms.core.http import json_error, wants_json, with_retry_after
from lms.core.pagination import paginate
from lms.core.time import local_today
from lms.core.transaction import attempt, discard
from lms.enrollment.models import Enrollment
from lms.errors import InvalidInput
from lms.extensions import db, limiter
from lms.jobs import services as jobs

from . import archive, badges, pdf, services, signing, tasks
from .forms import IssueForm, ReasonForm, RevokeForm
from .models import Certificate

bp = Blueprint("certificates", __name__)

#: what a certificate certifies, by the course type's ``certificate_kind``
KIND_LABELS = {
    "competence": _l("Certificate of competence"),
    "attendance": _l("Certificate of attendance"),
}
#: what the audit log's certificate actions mean, for a certificate's history
AUDIT_LABELS = {
    "certificate.issued": _l("Issued"),
    "certificate.revoked": _l("Revoked"),
    "certificate.reissued": _l("Issued as a correction"),
}
#: the verification's verdict in both languages at once, Indonesian first, whatever the page's
#: language: an employer abroad must read it on a page in Indonesian (as on the PDF, these words
#: are declared per language here rather than taken from the catalogue)
VERDICTS = {
    "valid": ("Berlaku", "Valid"),
    "expired": ("Kedaluwarsa", "Expired"),
    "revoked": ("Dicabut", "Revoked"),
    "unsure": ("Tidak terkonfirmasi", "Not confirmed"),
}
ZIP_MIMETYPE = "application/zip"
#: what the pages show in place of the name of a holder whose personal data were erased
HOLDER_WITHHELD = _l("Name withheld at the holder's request")


@bp.app_errorhandler(signing.SigningKeyMissing)
def _no_signing_key(error):
    """Production without its key file: the log names the command that creates it, the person
    reads a plain 503 (pages, the API and the JWK Set alike), and nothing is written."""
    discard()
    current_app.logger.error("%s", error)
    message = _("Certificates cannot be signed yet: an administrator must create the signing key.")
    if wants_json():
        return json_error(503, "unavailable", message)
    return render_template("errors/error.html", status=503, message=message), 503


# --- helpers shared by the pages ---------------------------------------------------------------


def _actor():
    return current_user._get_current_object()


@bp.app_template_filter("certificate_code")
def code_groups(code):
    """A verification code in groups of four, easier to read aloud and type: ABCD-EFGH-JKMN."""
    code = code or ""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


@dataclass(frozen=True)
class Facts:
    """What a certificate states, from its signed claims, ready for a page."""

    serial: str
    code: str
    #: the holder's name as signed; "" when it is withheld (see ``holder_withheld``)
    holder: str
    course_code: str
    course_title: str
    type_key: str
    kind: str | None
    partner: str
    starts_on: date | None
    ends_on: date | None
    hours: int | None
    issued_on: date | None
    issuer: str
    #: the holder's personal data were erased: the certificate names nobody
    holder_withheld: bool = False

    @property
    def kind_label(self):
        return KIND_LABELS.get(self.kind, "")

    @property
    def holder_label(self):
        """The holder's name, or the words that say it is withheld."""
        return HOLDER_WITHHELD if self.holder_withheld else self.holder


def _day(value):
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def facts(certificate):
    """The :class:`Facts` of a certificate, the course title in the page's language."""
    claims = services.claims(certificate)
    course = claims.get("course") or {}
    withheld = pdf.holder_withheld(claims)
    title = services.course_title(claims, str(get_locale()))
    return Facts(
        serial=claims.get("serial") or certificate.serial,
        code=claims.get("code") or certificate.code,
        holder="" if withheld else claims["holder"],
        course_code=course.get("code") or "",
        course_title=title,
        type_key=course.get("type") or "",
        kind=course.get("kind"),
        partner=claims.get("partner") or "",
        starts_on=_day(claims.get("starts_on")),
        ends_on=_day(claims.get("ends_on")),
        hours=claims.get("hours"),
        issued_on=_day(claims.get("issued_on")),
        issuer=claims.get("issuer") or "",
        holder_withheld=withheld,
    )


def _pdf_response(certificate):
    """The certificate's PDF, rendered from the record (the same bytes every time)."""
    body = pdf.render(certificate, services.verification_url(certificate))
    return attachment(body, pdf.file_name(certificate), "application/pdf")


def verdict(certificate, signature_valid):
    """The verification's state: valid, expired, revoked, or unsure (the signature does not
    hold on a certificate that is not revoked)."""
    state = services.status(certificate)
    if state != "revoked" and not signature_valid:
        return "unsure"
    return state


def _status_sentence(certificate, state, issuer):
    """What the verdict means, in the current language."""
    if state == "valid" and certificate.expires_on is not None:
        return _(
            "This certificate was issued by %(office)s, has not been revoked and is valid "
            "until %(day)s.",
            office=issuer,
            day=format_date(certificate.expires_on, "d MMMM y"),
        )
    if state == "valid":
        return _(
            "This certificate was issued by %(office)s and has not been revoked.", office=issuer
        )
    if state == "expired":
        return _(
            "This certificate was valid until %(day)s and has expired: it is authentic, but no "
            "longer valid.",
            day=format_date(certificate.expires_on, "d MMMM y"),
        )
    if state == "revoked":
        text = _(
            "This certificate was revoked on %(day)s and is no longer valid.",
            day=format_date(certificate.revoked_at, "d MMMM y"),
        )
        category = services.REVOCATION_LABELS.get(certificate.revocation_category)
        if category is not None:
            text += " " + _("Reason: %(reason)s.", reason=category)
        return text
    return _(
        "The record of this certificate does not match its digital signature. Do not rely on "
        "it; ask the office."
    )


def status_sentences(certificate, state, issuer):
    """[(locale, sentence)]: the verdict's meaning in the page's language first, then in the
    other one, for a verifier who reads only one of them."""
    current = str(get_locale())
    locales = [current] + [loc for loc in current_app.config["LANGUAGES"] if loc != current]
    sentences = []
    for locale in locales:
        with force_locale(locale):
            sentences.append((locale, _status_sentence(certificate, state, issuer)))
    return sentences


# --- public verification -----------------------------------------------------------------------


def _verify_limit():
    """Read at request time, so that the setting (or a test) can change it."""
    return current_app.config["VERIFY_RATE_LIMIT"]


def _no_store(response):
    """A verification must be fresh (a revocation shows at once) and stays out of search engines."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _clean_code(text):
    return re.sub(r"[\s-]+", "", text or "").upper()[:64]


@bp.route("/verify")
def verify():
    """A box to type the code printed on a certificate; a code given goes to its page."""
    raw = request.args.get("code")
    if raw is not None:
        code = _clean_code(raw)
        if code:
            return redirect(url_for(".verify_page", code=code))
        return _no_store(
            Response(
                render_template(
                    "certificates/verify.html", error=_("Type the code printed on the certificate.")
                ),
                400,
            )
        )
    return _no_store(Response(render_template("certificates/verify.html")))


@bp.route("/verify/<code>")
@limiter.limit(_verify_limit)
def verify_page(code):
    """The public verification of one certificate: valid or revoked, what it states, whether its
    signature holds. An unknown code is a 404 (no hint whether it is close to a real one)."""
    certificate = services.get_by_code(code)
    if certificate is None:
        page = render_template("certificates/verify.html", not_found=_clean_code(code)[:32])
        return _no_store(Response(page, 404))
    signature_valid = services.signature_valid(certificate)
    state = verdict(certificate, signature_valid)
    shown = facts(certificate)
    page = render_template(
        "certificates/verify.html",
        certificate=certificate,
        facts=shown,
        state=state,
        verdict_words=VERDICTS[state],
        sentences=status_sentences(certificate, state, shown.issuer),
        signature_valid=signature_valid,
        replacement=services.replacement(certificate),
        predecessor=services.predecessor(certificate),
        revocation_labels=services.REVOCATION_LABELS,
    )
    return _no_store(Response(page))


@bp.errorhandler(429)
def too_many(error):
    """Too many verifications from one address: the box again, and how long to wait."""
    page = render_template("certificates/verify.html", limited=True)
    return _no_store(with_retry_after(Response(page, 429)))


# --- staff: a course's certificates ------------------------------------------------------------


def _render_course(course, form=None, error=None, code=200):
    """The issuing page: every trainee on the roster, eligible or why not, and their certificate."""
    candidates = services.course_candidates(course)
    ids = [c.enrollment.id for c in candidates]
    assessments = {}
    if ids:
        assessments = {
            a.enrollment_id: a
            for a in db.session.scalars(select(Assessment).where(Assessment.enrollment_id.in_(ids)))
        }
    course_type = course_type_of(course)
    ready = [c for c in candidates if c.decision.eligible and c.certificate is None]
    issued = [c for c in candidates if c.certificate is not None]
    form = form or IssueForm(formdata=None)
    return render_template(
        "certificates/course.html",
        course=course,
        course_type=course_type,
        threshold=course_type.threshold_for(course) if course_type else None,
        pass_mark=course_type.pass_mark_for(course) if course_type else None,
        candidates=candidates,
        assessments=assessments,
        ready=len(ready),
        issued=len(issued),
        not_eligible=sum(
            1 for c in candidates if not c.decision.eligible and c.certificate is None
        ),
        form=form,
        ticked=set(form.ids.data or []),
        error=error,
    ), code


@bp.route("/manage/courses/<int:course_id>/certificates")
@roles_required("staff")
def course(course_id):
    """Who of a course's trainees may get a certificate, why not, and who has one."""
    return _render_course(db.get_or_404(Course, course_id))


def _skipped_text(skipped):
    """ "Name: reason; reason" for each enrolment the service did not issue to."""
    parts = []
    for enrollment_id, reasons in skipped:
        enrollment = db.session.get(Enrollment, enrollment_id)
        name = enrollment.user.name if enrollment is not None else f"#{enrollment_id}"
        parts.append(f"{name}: {'; '.join(str(r) for r in reasons)}")
    return " ".join(parts)


@bp.route("/manage/courses/<int:course_id>/certificates/issue", methods=["POST"])
@roles_required("staff")
def issue(course_id):
    """Issue to every eligible trainee, or to the ticked ones, in one transaction."""
    course = db.get_or_404(Course, course_id)
    form = IssueForm()
    if not form.validate_on_submit():
        return _render_course(course, form, code=400)
    ids = None if form.action.data == "all" else form.ids.data
    if _many(course, ids):
        # a large course: a worker issues them (one transaction), its page shows the progress
        job = jobs.start(tasks.ISSUE, owner=_actor(), params={"course_id": course.id, "ids": ids})
        return redirect(url_for("jobs.detail", job_id=job.id), 303)
    with attempt() as outcome:
        issued, skipped = services.issue(course, _actor(), ids)
    if outcome.error is not None:
        return _render_course(
            course, form, error=str(outcome.error.message), code=outcome.error.status
        )
    if ids is not None and not issued:
        # nothing to write: say why, on the page, next to the ticks
        error = _("No certificate was issued.") + " " + _skipped_text(skipped)
        return _render_course(course, form, error=error, code=400)
    skipped_text = _skipped_text(skipped) if ids is not None else ""
    if issued:
        flash(
            ngettext("%(num)s certificate issued.", "%(num)s certificates issued.", len(issued)),
            "success",
        )
    else:
        flash(_("No trainee is eligible for a new certificate."), "info")
    if skipped_text:
        flash(_("Not issued: %(who)s", who=skipped_text), "warning")
    return redirect(url_for(".course", course_id=course.id))


def _many(course, ids):
    """Whether issuing to ``ids`` (None: the course's roster) is work for a job."""
    if ids is not None:
        size = len(ids)
    else:
        size = db.session.scalar(
            select(func.count()).select_from(Enrollment).where(Enrollment.course_id == course.id)
        )
    return size > current_app.config["JOBS_CERTIFICATES_MIN"]


@bp.route("/manage/courses/<int:course_id>/certificates.zip/job", methods=["POST"])
@roles_required("staff")
def course_zip_job(course_id):
    """Have the course's ZIP drawn in the background; the job's page offers it when ready."""
    course = db.get_or_404(Course, course_id)
    job = jobs.start(tasks.ZIP, owner=_actor(), params={"course_id": course.id})
    return redirect(url_for("jobs.detail", job_id=job.id), 303)


@bp.route("/manage/courses/<int:course_id>/certificates.zip")
@roles_required("staff")
def course_zip(course_id):
    """Every valid certificate of a course as PDFs in one ZIP."""
    course = db.get_or_404(Course, course_id)
    certificates = archive.valid_certificates(course)
    if not certificates:
        flash(_("This course has no certificate to download yet."), "info")
        return redirect(url_for(".course", course_id=course.id))
    body = archive.course_zip(course, certificates)
    return attachment(body, archive.zip_name(course), ZIP_MIMETYPE)


# --- staff: every certificate ------------------------------------------------------------------


@bp.route("/manage/certificates")
@roles_required("staff")
def index():
    """Every certificate, newest first: search by serial, code or holder; valid or revoked. The
    filters are the certificate export's, so its download links carry them."""
    filters = CertificateFilters.from_args(request.args)
    query = (
        select(Certificate)
        .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        .join(User, User.id == Enrollment.user_id)
        .join(Course, Course.id == Enrollment.course_id)
        .options(
            contains_eager(Certificate.enrollment).contains_eager(Enrollment.user),
            contains_eager(Certificate.enrollment).contains_eager(Enrollment.course),
        )
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )
    return render_template(
        "certificates/index.html",
        page=paginate(filters.apply(query)),
        status=filters.status,
        q=filters.q,
        course=filters.course,
        export_args=filters.args(),
        statuses=(("valid", _("Valid")), ("revoked", _("Revoked"))),
        today=local_today(),
    )


def _certificate_or_404(certificate_id):
    certificate = db.session.get(
        Certificate, certificate_id, options=[joinedload(Certificate.enrollment)]
    )
    if certificate is None:
        abort(404)
    return certificate


def _render_detail(certificate, revoke_form=None, reissue_form=None, error=None, code=200):
    enrollment = certificate.enrollment
    history = audit.history(certificate)
    return render_template(
        "certificates/detail.html",
        certificate=certificate,
        facts=facts(certificate),
        enrollment=enrollment,
        course=enrollment.course,
        issued_by=db.session.get(User, certificate.issued_by_id)
        if certificate.issued_by_id
        else None,
        revoked_by=db.session.get(User, certificate.revoked_by_id)
        if certificate.revoked_by_id
        else None,
        replacement=services.replacement(certificate),
        predecessor=services.predecessor(certificate),
        signature_valid=services.signature_valid(certificate),
        verify_link=services.verification_url(certificate),
        revoke_form=revoke_form or RevokeForm(formdata=None),
        status=services.status(certificate),
        revocation_labels=services.REVOCATION_LABELS,
        reissue_form=reissue_form or ReasonForm(formdata=None),
        history=history,
        audit_labels=AUDIT_LABELS,
        error=error,
    ), code


@bp.route("/manage/certificates/<int:certificate_id>")
@roles_required("staff")
def detail(certificate_id):
    """One certificate: what it states, its status, its history; revoke or re-issue it."""
    return _render_detail(_certificate_or_404(certificate_id))


def _refused(certificate, exc, revoke_form=None, reissue_form=None):
    """Re-render the certificate page with a service's refusal next to the form that caused it."""
    form = revoke_form or reissue_form
    if isinstance(exc, InvalidInput) and exc.fields:
        apply_errors(form, exc)
        error = None if "reason" in exc.fields else str(exc.message)
    else:
        error = str(exc.message)
    certificate = _certificate_or_404(certificate.id)
    return _render_detail(certificate, revoke_form, reissue_form, error=error, code=exc.status)


@bp.route("/manage/certificates/<int:certificate_id>/revoke", methods=["POST"])
@roles_required("staff")
def revoke(certificate_id):
    """Revoke a certificate; the reason is required (it stays verifiable as revoked)."""
    certificate = _certificate_or_404(certificate_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        return _render_detail(certificate, revoke_form=form, code=form_status(form))
    with attempt() as outcome:
        services.revoke(certificate, _actor(), form.reason.data, form.category.data)
    if outcome.error is not None:
        return _refused(certificate, outcome.error, revoke_form=form)
    serial = certificate.serial
    flash(_("Certificate %(serial)s is revoked.", serial=serial), "success")
    return redirect(url_for(".detail", certificate_id=certificate_id))


@bp.route("/manage/certificates/<int:certificate_id>/reissue", methods=["POST"])
@roles_required("staff")
def reissue(certificate_id):
    """Revoke a certificate after a correction and issue its replacement, linked to it."""
    certificate = _certificate_or_404(certificate_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        return _render_detail(certificate, reissue_form=form, code=form_status(form))
    with attempt() as outcome:
        new = services.reissue(certificate, _actor(), form.reason.data)
    if outcome.error is not None:
        return _refused(certificate, outcome.error, reissue_form=form)
    old_serial, new_serial, new_id = certificate.serial, new.serial, new.id
    flash(
        _(
            "Certificate %(old)s is revoked and replaced by %(new)s.",
            old=old_serial,
            new=new_serial,
        ),
        "success",
    )
    return redirect(url_for(".detail", certificate_id=new_id))


@bp.route("/manage/certificates/<int:certificate_id>/pdf")
@roles_required("staff")
def download_pdf(certificate_id):
    """A certificate's PDF, valid or revoked (for the record)."""
    return _pdf_response(_certificate_or_404(certificate_id))


# --- the trainee's own certificates ------------------------------------------------------------


def _own_certificate(certificate_id):
    """The trainee's own valid certificate, to download; someone else's is a 404."""
    certificate = db.session.get(
        Certificate, certificate_id, options=[joinedload(Certificate.enrollment)]
    )
    return services.for_download(certificate, current_user)


@bp.route("/my/certificates")
@roles_required("trainee")
def mine():
    """The trainee's certificates, valid and revoked, newest first, with their downloads."""
    certificates = db.session.scalars(
        select(Certificate)
        .join(Enrollment, Enrollment.id == Certificate.enrollment_id)
        .options(contains_eager(Certificate.enrollment).joinedload(Enrollment.course))
        .where(Enrollment.user_id == current_user.id)
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    ).all()
    by_id = {c.id: c for c in certificates}
    return render_template(
        "certificates/mine.html",
        certificates=[(c, facts(c)) for c in certificates],
        by_id=by_id,
        today=local_today(),
    )


@bp.route("/my/certificates/<int:certificate_id>/pdf")
@roles_required("trainee")
def my_pdf(certificate_id):
    """The trainee's own certificate as PDF (a valid one)."""
    return _pdf_response(_own_certificate(certificate_id))


@bp.route("/my/certificates/<int:certificate_id>/credential")
@roles_required("trainee")
def my_credential(certificate_id):
    """The trainee's own certificate as an Open Badges 3.0 credential (a VC-JWT), for a wallet."""
    certificate = _own_certificate(certificate_id)
    token = badges.credential_jwt(certificate)
    response = attachment(token, pdf.file_name(certificate, extension="jwt"), "text/plain")
    response.charset = "utf-8"
    return response

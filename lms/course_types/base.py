"""The plugin contract: what a course type declares, and the pure rules it answers.

A course type is a plugin: a package exposing a ``CourseType`` instance under the entry-point group
``lms.course_types``. It owns no tables: its own fields live in ``courses.details`` (JSON), validated
by its WTForms form. The core hands it plain values and it returns decisions with readable reasons.
"""

from dataclasses import dataclass, field
from datetime import date, time
from decimal import Decimal
from typing import ClassVar

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FloatField,
    Form,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
)

from lms.i18n import translated_meta

#: how a WTForms field class is described in the API (GET /api/v1/course-types)
FIELD_TYPES = (
    (BooleanField, "boolean"),
    (IntegerField, "integer"),
    ((DecimalField, FloatField), "number"),
    (DateField, "date"),
    ((SelectField, RadioField, SelectMultipleField), "choice"),
)


@dataclass(frozen=True)
class AttendanceSummary:
    """An enrolment's attendance over the held sessions of its course."""

    #: sessions whose start has passed and that were not cancelled
    held: int
    present: int = 0
    late: int = 0
    excused: int = 0
    #: held sessions marked absent or not marked at all
    absent: int = 0

    @property
    def rate(self):
        """(present + late) / (held - excused), or None when nothing counts (API.md)."""
        denominator = self.held - self.excused
        if denominator <= 0:
            return None
        return (self.present + self.late) / denominator


@dataclass(frozen=True)
class Assessment:
    """An enrolment's final assessment as the core hands it to a plugin."""

    score: float | None = None
    competent: bool | None = None


@dataclass(frozen=True)
class Eligibility:
    """A certificate decision with the reasons a person can read (already translated)."""

    eligible: bool
    reasons: tuple = ()


@dataclass(frozen=True)
class SessionPlan:
    """A suggested timetable offered when staff generate a course's sessions."""

    #: weekdays with a meeting, Monday = 0
    weekdays: tuple = (0, 1, 2, 3, 4)
    starts: time = time(8, 0)
    ends: time = time(12, 0)
    #: how many weeks the timetable runs
    weeks: int = 4
    #: topics given to the sessions in order (the rest get none)
    topics: tuple = field(default_factory=tuple)


def session_hours(course):
    """The hours of a course's sessions that were not cancelled, rounded."""
    seconds = sum(
        (s.ends_at - s.starts_at).total_seconds() for s in course.sessions if s.cancelled_at is None
    )
    return round(seconds / 3600)


class CourseType:
    """Base class of a course type. Subclass it, expose an instance, list it as an entry point:

    .. code-block:: toml

        [project.entry-points."lms.course_types"]
        my_type = "my_package:course_type"
    """

    #: stable key stored in ``courses.type_key``; equals the entry-point name; never rename
    key: ClassVar[str]
    #: display name per language; "id" and "en" are both required
    labels: ClassVar[dict]
    #: one-line description per language, shown in the catalogue filter and staff forms
    descriptions: ClassVar[dict] = {}
    #: WTForms ``Form`` (not FlaskForm) with the type's own fields; its data goes to ``details``
    details_form: ClassVar[type[Form] | None] = None
    #: template fragment that shows the details on the course pages (public and staff); when it
    #: cannot be found the generic one, which lists the fields, is shown instead
    details_template: ClassVar[str] = "courses/_details.html"
    #: folder with the plugin's own templates, absolute or relative to the plugin's module; by
    #: default ``templates/`` beside that module, when it exists. It is searched after the app's
    #: own templates (which may override a plugin's fragment); keep files under ``courses/<key>/``
    template_folder: ClassVar[str | None] = None
    #: names of ``details`` fields (choice fields) offered as catalogue filters
    catalog_filters: ClassVar[tuple] = ()
    #: default minimum attendance rate (0..1) for a certificate; a course may override it
    attendance_threshold: ClassVar[float] = 0.8
    #: whether a final assessment must be passed for a certificate
    requires_assessment: ClassVar[bool] = False
    #: pass mark (0..100) for a scored assessment; a course may set its own in its details
    pass_mark: ClassVar[float] = 60.0
    #: the ``details`` field (when the type's form has one) with a course's own pass mark: the
    #: core reads it through :meth:`pass_mark_for`
    pass_mark_field: ClassVar[str] = "pass_mark"
    #: the ``details`` field (when the type's form has one) with the lesson hours a certificate
    #: states: the core reads it through :meth:`lesson_hours_for`
    lesson_hours_field: ClassVar[str] = "lesson_hours"
    #: "competence" (skills certified) or "attendance" (participation certified)
    certificate_kind: ClassVar[str] = "competence"
    #: months a certificate stays valid from its day of issue; None: it does not expire. A course
    #: may set its own (``courses.certificate_validity_months``)
    certificate_validity_months: ClassVar[int | None] = None
    #: short code of the type in certificate serial numbers (default: the key's first letters)
    serial_code: ClassVar[str | None] = None
    #: certificate body per language; str.format fields: name, course, hours, partner
    certificate_wording: ClassVar[dict]
    #: the suggested timetable
    session_plan: ClassVar[SessionPlan] = SessionPlan()
    #: whether people enrol in a course of this type. False for a type that counts the people
    #: it reaches instead (an outreach event): its courses need no capacity or registration
    #: window (both stay null), trainees cannot register (staff may still add named attendees,
    #: with no seat limit), no session makes anyone absent, there is no attendance rate and no
    #: certificate, and the annual report's training figures leave its courses out
    enrols: ClassVar[bool] = True
    #: whether trainers and staff record the number of people each session reached
    #: (PUT /api/v1/sessions/{id}/reach); such courses make the annual report's outreach section
    counts_people: ClassVar[bool] = False
    #: whether the partner must hold a valid MoU when a course of this type is added to it
    requires_mou: ClassVar[bool] = True
    #: the ``details`` field (when the type's form has one) with the code of the regency where a
    #: course was held: the outreach section of the annual report reads it through
    #: :meth:`regency_for`
    regency_field: ClassVar[str] = "regency"

    # --- labels --------------------------------------------------------------------------

    def label(self, locale):
        """The type's name in ``locale`` (English when missing)."""
        return self.labels.get(str(locale)) or self.labels["en"]

    def description(self, locale):
        return self.descriptions.get(str(locale)) or self.descriptions.get("en", "")

    # --- the type's own fields -----------------------------------------------------------

    def make_form(self, details=None, formdata=None, prefix="details-"):
        """The details form, filled from stored ``details`` or from submitted ``formdata``."""
        if self.details_form is None:
            return None
        if formdata is not None:
            return self.details_form(formdata=formdata, prefix=prefix, meta=translated_meta())
        return self.details_form(
            formdata=None,
            data=self.from_storage(details or {}),
            prefix=prefix,
            meta=translated_meta(),
        )

    def validate_details(self, details):
        """Check API input; returns ``(clean, errors)``: JSON-ready values and messages per field."""
        details = details or {}
        if self.details_form is None:
            unknown = {name: [_l("Unknown field.")] for name in details}
            return {}, unknown
        form = self.details_form(formdata=_formdata(details), meta=translated_meta())
        errors = {name: [_l("Unknown field.")] for name in details if name not in form._fields}
        if not form.validate():
            errors.update({name: list(msgs) for name, msgs in form.errors.items()})
        if errors:
            return None, errors
        return self.to_storage(form.data), {}

    def validate_form(self, form):
        """Validate a submitted details form; returns the JSON-ready data or None."""
        if form is None:
            return {}
        if not form.validate():
            return None
        return self.to_storage(form.data)

    @staticmethod
    def to_storage(data):
        """Form data to JSON values (dates as ISO strings, decimals as floats)."""
        clean = {}
        for name, value in data.items():
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = float(value)
            clean[name] = value
        return clean

    def from_storage(self, details):
        """Stored JSON back to form data (ISO strings of date fields become dates)."""
        data = dict(details)
        if self.details_form is not None:
            for name, bound in self.details_form(formdata=None)._fields.items():
                if isinstance(bound, DateField) and isinstance(data.get(name), str):
                    try:
                        data[name] = date.fromisoformat(data[name])
                    except ValueError:
                        data[name] = None
        return data

    def describe_fields(self):
        """The fields for GET /api/v1/course-types: name, label, type, required, choices, and
        the field's own description when it has one (what a value means, e.g. a code)."""
        if self.details_form is None:
            return []
        form = self.details_form(formdata=None)
        described = []
        for name, bound in form._fields.items():
            kind = "string"
            for classes, label in FIELD_TYPES:
                if isinstance(bound, classes):
                    kind = label
                    break
            item = {
                "name": name,
                "label": str(bound.label.text),
                "type": kind,
                "required": bool(bound.flags.required),
            }
            if bound.description:
                item["description"] = str(bound.description)
            if kind == "choice":
                item["choices"] = [{"value": v, "label": str(lbl)} for v, lbl in bound.choices]
                if isinstance(bound, SelectMultipleField):
                    item["multiple"] = True
            described.append(item)
        return described

    def display_details(self, details, names=None):
        """(label, shown value) pairs of the stored details, choices shown by their label.

        ``names`` is what the core knows that a plugin does not: {field: {value: name}} (the
        regency field's codes to the regencies' names), used for fields given there.
        """
        if self.details_form is None:
            return []
        form = self.details_form(formdata=None)
        names = names or {}
        shown = []
        for name, bound in form._fields.items():
            value = details.get(name)
            if value in (None, "", []):
                continue
            if name in names and not isinstance(value, list):
                value = names[name].get(value, value)
            elif hasattr(bound, "choices") and bound.choices:
                labels = dict(bound.choices)
                if isinstance(value, list):
                    value = ", ".join(str(labels.get(v, v)) for v in value)
                else:
                    value = labels.get(value, value)
            elif isinstance(value, bool):
                value = _l("Yes") if value else _l("No")
            shown.append((bound.label.text, value))
        return shown

    def filter_choices(self, name):
        """The choices of a catalogue filter field."""
        form = self.details_form(formdata=None)
        return list(form._fields[name].choices)

    # --- rules ---------------------------------------------------------------------------

    def threshold_for(self, course):
        """The course's own attendance threshold, else the type's default."""
        if course.attendance_threshold is not None:
            return course.attendance_threshold
        return self.attendance_threshold

    def validity_months_for(self, course):
        """Months a certificate of the course stays valid: the course's own, else the type's
        default; None when it does not expire."""
        own = getattr(course, "certificate_validity_months", None)
        return own if own is not None else self.certificate_validity_months

    def pass_mark_for(self, course):
        """The course's pass mark (its ``pass_mark_field`` detail), else the type's default."""
        value = (course.details or {}).get(self.pass_mark_field)
        return float(value) if value is not None else self.pass_mark

    def lesson_hours_for(self, course):
        """The lesson hours a certificate states: the course's ``lesson_hours_field`` detail,
        else the hours of its sessions that were not cancelled."""
        stated = (course.details or {}).get(self.lesson_hours_field)
        return int(stated) if stated else session_hours(course)

    def regency_for(self, course):
        """The code of the regency where the course was held (its ``regency_field``), or None."""
        return (course.details or {}).get(self.regency_field) or None

    def attendance_for(self, summary):
        """The attendance the core shows and judges: a type that does not enrol keeps the marks
        (named attendees) but no session counts as held, so nobody is absent and there is no
        rate."""
        if self.enrols:
            return summary
        return AttendanceSummary(
            held=0, present=summary.present, late=summary.late, excused=summary.excused
        )

    def assessment_passed(self, course, assessment):
        """True, False, or None when there is no result yet."""
        if assessment is None:
            return None
        if assessment.competent is not None:
            return assessment.competent
        if assessment.score is not None:
            return assessment.score >= self.pass_mark_for(course)
        return None

    def certificate_eligibility(self, course, attendance, assessment, today):
        """The default rule: the course has ended, attendance meets the threshold, and the
        assessment is passed where the type needs one (a type that does not enrol issues no
        certificate). Override to change the rule."""
        if not self.enrols:
            return Eligibility(False, (_l("This kind of course issues no certificate."),))
        reasons = []
        if course.ends_on >= today:
            reasons.append(_l("The course has not ended yet."))
        threshold = self.threshold_for(course)
        rate = attendance.rate
        if rate is None and attendance.held:
            # every meeting held was excused: nothing to count, and nothing attended
            reasons.append(_l("Excused from every meeting held: there is no attendance to count."))
        elif rate is None:
            reasons.append(_l("No session has been held."))
        elif rate + 1e-9 < threshold:
            reasons.append(
                _l(
                    "Attendance is %(rate)s%%, below the required %(threshold)s%%.",
                    rate=round(rate * 100),
                    threshold=round(threshold * 100),
                )
            )
        if self.requires_assessment:
            passed = self.assessment_passed(course, assessment)
            if passed is None:
                reasons.append(_l("The final assessment has no result yet."))
            elif not passed:
                reasons.append(_l("The final assessment was not passed."))
        return Eligibility(not reasons, tuple(reasons))

    def certificate_text(self, locale, facts=None, **values):
        """The certificate body in ``locale``, filled with name, course, hours, partner.

        ``facts`` are what :meth:`certificate_facts` recorded in the signed certificate (None
        for a certificate issued before the type recorded any): a type may name them in its
        wording by overriding this method.
        """
        wording = self.certificate_wording.get(str(locale)) or self.certificate_wording["en"]
        return wording.format(**values)

    def certificate_facts(self, course):
        """Plain JSON values about ``course`` that its certificates state and sign (a class's
        language or skill, say), handed back to :meth:`certificate_text`. None by default."""
        return {}

    def certificate_rule(self, course):
        """What a course of this type certifies, and for what, as the course page says it: the
        same threshold and assessment rule as :meth:`certificate_eligibility`."""
        if not self.enrols:
            return _l("This kind of course issues no certificate.")
        pct = round(self.threshold_for(course) * 100)
        if self.requires_assessment:
            return _l(
                "Certificate of competence, for at least %(pct)s%% attendance and a passed "
                "final assessment.",
                pct=pct,
            )
        if pct >= 100:
            return _l("Certificate of attendance, for full attendance.")
        return _l("Certificate of attendance, for at least %(pct)s%% attendance.", pct=pct)

    def __repr__(self):
        return f"<CourseType {self.key}>"


def _formdata(details):
    """JSON values as form data, so that WTForms parses API input exactly as a submitted form."""
    pairs = []
    for name, value in details.items():
        if isinstance(value, list):
            pairs.extend((name, _as_text(v)) for v in value)
        elif value is not None:
            if isinstance(value, bool) and not value:
                continue  # an unchecked box is absent from form data
            pairs.append((name, _as_text(value)))
    return MultiDict(pairs)


def _as_text(value):
    if isinstance(value, bool):
        return "y"
    return str(value)

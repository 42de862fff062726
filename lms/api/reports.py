"""GET /api/v1/reports/annual?year=YYYY (staff): the annual report's figures, by the counting
rules of API.md, as :func:`lms.reports.services.annual_report` computes them for the page."""

from marshmallow import Schema, fields, validate

from lms.auth.permissions import roles_required
from lms.reports import services

from .blueprint import Blueprint

blp = Blueprint("api_reports", __name__, description="Reports")


class YearArgs(Schema):
    #: the report's year: courses that start in it
    year = fields.Integer(
        required=True,
        strict=False,
        validate=validate.Range(min=services.MIN_YEAR, max=services.MAX_YEAR),
    )


class TypeFigures(Schema):
    trainees = fields.Integer()
    enrollments = fields.Integer()
    completions = fields.Integer()
    certificates = fields.Integer()


class MonthFigures(Schema):
    trainees = fields.Integer()
    enrollments = fields.Integer()
    completions = fields.Integer()


class OutreachMonth(Schema):
    events = fields.Integer()
    people = fields.Integer()


class OutreachFigures(Schema):
    """Outreach events of the year (sessions of courses whose type counts people)."""

    #: events held: sessions that started in the year and were not cancelled
    events = fields.Integer()
    #: people reached: per event the larger of the head count and the named attendees
    people = fields.Integer()
    #: regency name where the event was held ("unknown" when not recorded) -> people
    by_regency = fields.Dict(keys=fields.String(), values=fields.Integer())
    #: partner kind of the co-host -> people
    by_partner_kind = fields.Dict(keys=fields.String(), values=fields.Integer())
    #: "YYYY-MM" -> events and people
    by_month = fields.Dict(keys=fields.String(), values=fields.Nested(OutreachMonth))


class AnnualReport(Schema):
    """The annual report: totals, then breakdowns keyed as API.md says."""

    year = fields.Integer()
    #: distinct trainees among the year's enrolments
    trainees = fields.Integer()
    enrollments = fields.Integer()
    #: enrolments holding a valid certificate
    completions = fields.Integer()
    certificates_issued = fields.Integer()
    sessions_held = fields.Integer()
    #: pooled (present + late) / (held - excused), 0..1; null when nothing was held
    attendance_rate = fields.Float(allow_none=True)
    #: course-type key -> figures
    by_course_type = fields.Dict(keys=fields.String(), values=fields.Nested(TypeFigures))
    #: regency name ("unknown" when not recorded) -> trainees
    by_regency = fields.Dict(keys=fields.String(), values=fields.Integer())
    #: partner name -> trainees
    by_partner = fields.Dict(keys=fields.String(), values=fields.Integer())
    #: target group (cpmi, purna_pmi, family, general; "unknown") -> trainees
    by_target_group = fields.Dict(keys=fields.String(), values=fields.Integer())
    #: month the course starts ("1".."12") -> figures; an extra field
    by_month = fields.Dict(keys=fields.String(), values=fields.Nested(MonthFigures))
    #: outreach events and the people they reached; never part of the training figures above
    outreach = fields.Nested(OutreachFigures)


@blp.route("/reports/annual")
@roles_required("staff")
@blp.arguments(YearArgs, location="query")
@blp.response(200, AnnualReport)
def annual_report(args):
    """The year's figures; 400 for a missing or bad year."""
    return services.annual_report(args["year"])

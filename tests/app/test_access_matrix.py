"""The access matrix: every rule of the URL map, with every method, for every role.

``ACCESS`` declares, one line per endpoint, what each role gets from it; a rule (or a method of
it) without a line fails the suite, so that no route is added without saying who may use it.
One test per actor builds one world, calls every rule once per method and lists every answer
that differs from the table. Pages are called with a login session, the API with a bearer token;
a write is sent with an empty body unless ``CALLS`` gives the one that reaches its gate.

To declare a new endpoint, add one line to ``ACCESS``: a profile below, or ``E(...)`` with the
answer of each column, or ``{"GET": ..., "POST": ...}`` when its methods differ.
"""

from dataclasses import dataclass, field, fields
from datetime import time, timedelta
from urllib.parse import urlsplit

import pytest

from lms.attendance import cards, excuses
from lms.attendance import services as attendance
from lms.auth import services as auth_services
from lms.certificates import services as certificates
from lms.core.time import combine_local, local_today
from lms.core.types import utcnow
from lms.enrollment import services as enrolment
from lms.extensions import db
from lms.outbox import services as outbox
from tests.fixtures.jobs import finished_job
from tests.fixtures.users import log_in

#: a page's answer to a visitor who is not logged in: a redirect to /login?next=<the page>
LOGIN = "302 to /login?next="
#: through the gate: any answer but 401, 403, 404 or a redirect to the login page (a 400 for
#: an empty form, or a 409 for a state, is the view's own answer to someone allowed to reach it)
OK = "allowed"


@dataclass(frozen=True)
class E:
    """The answer of a rule to each column: a status code, ``LOGIN`` or ``OK``. A 5xx never
    matches."""

    #: no login, no token
    anonymous: object
    #: the trainee enrolled in the course, holder of the certificate
    trainee: object
    #: a trainee of another course: neither on this course's roster nor the holder
    stranger: object
    #: the course's trainer (assigned to it and to the finished course)
    trainer: object
    #: a trainer not assigned to the course (of another partner, or a colleague of the same one)
    other_trainer: object
    staff: object
    admin: object


#: the actors a test runs as -> the column of ``E`` each one is checked against
ACTORS = {
    "anonymous": "anonymous",
    "trainee": "trainee",
    "stranger": "stranger",
    "trainer": "trainer",
    "other_trainer": "other_trainer",
    "colleague": "other_trainer",
    "staff": "staff",
    "admin": "admin",
}

# --- profiles shared by many endpoints -----------------------------------------------------------
#   E(anonymous, trainee, stranger, trainer, other_trainer, staff, admin)
PUBLIC = E(200, 200, 200, 200, 200, 200, 200)
PUBLIC_POST = E(OK, OK, OK, OK, OK, OK, OK)
#: any logged-in user, on their own data
USER_PAGE = E(LOGIN, 200, 200, 200, 200, 200, 200)
USER_POST = E(LOGIN, OK, OK, OK, OK, OK, OK)
#: a trainee page (the stranger is a trainee too); other roles are refused by role
TRAINEE_PAGE = E(LOGIN, 200, 200, 403, 403, 403, 403)
TRAINEE_POST = E(LOGIN, OK, OK, 403, 403, 403, 403)
#: a trainee page of the trainee's own record: another trainee must not learn it exists
OWN_PAGE = E(LOGIN, 200, 404, 403, 403, 403, 403)
OWN_POST = E(LOGIN, OK, 404, 403, 403, 403, 403)
#: a trainer page of no one course (each trainer sees their own)
TRAINER_PAGE = E(LOGIN, 403, 403, 200, 200, 200, 200)
#: a trainer page of the course: its trainers and staff; another trainer must not learn it exists
COURSE_PAGE = E(LOGIN, 403, 403, 200, 404, 200, 200)
COURSE_POST = E(LOGIN, 403, 403, OK, 404, OK, OK)
#: a staff page (admins pass every staff check): every other role is refused by role
STAFF_PAGE = E(LOGIN, 403, 403, 403, 403, 200, 200)
STAFF_POST = E(LOGIN, 403, 403, 403, 403, OK, OK)
#: a staff page that sends staff on (a redirect)
STAFF_REDIRECT = E(LOGIN, 403, 403, 403, 403, 302, 302)

API_USER = E(401, 200, 200, 200, 200, 200, 200)
API_TRAINEE = E(401, 200, 200, 403, 403, 403, 403)
#: the certificate's holder and staff
API_HOLDER = E(401, 200, 404, 403, 403, 200, 200)
API_COURSE = E(401, 403, 403, 200, 404, 200, 200)
API_COURSE_WRITE = E(401, 403, 403, OK, 404, OK, OK)
API_STAFF = E(401, 403, 403, 403, 403, 200, 200)
API_STAFF_WRITE = E(401, 403, 403, 403, 403, OK, OK)

# fmt: off
#: endpoint -> who gets what from every method of its rule, or {method: who gets what}
ACCESS = {
    # public pages and files
    "core.home":                          PUBLIC,
    "core.set_language":                  PUBLIC_POST,
    "core.healthz":                       PUBLIC,
    "core.manifest":                      PUBLIC,
    "core.favicon":                       PUBLIC,
    "privacy.notice":                     PUBLIC,
    "catalog.index":                      PUBLIC,
    "catalog.detail":                     PUBLIC,
    "certificates.verify":                PUBLIC,
    "certificates.verify_page":           PUBLIC,
    "wellknown.jwks":                     PUBLIC,
    "roster.service_worker":              PUBLIC,
    "static":                             PUBLIC,
    "bootstrap.static":                   PUBLIC,
    # logging in and out, registering, passwords
    "auth.login":      {"GET": E(200, 302, 302, 302, 302, 302, 302), "POST": PUBLIC_POST},
    "auth.register":   {"GET": E(200, 302, 302, 302, 302, 302, 302), "POST": PUBLIC_POST},
    "auth.logout":                        PUBLIC_POST,
    "auth.forgot_password":               {"GET": PUBLIC, "POST": PUBLIC_POST},
    "auth.reset_password":                {"GET": PUBLIC, "POST": PUBLIC_POST},
    "auth.profile":                       {"GET": USER_PAGE, "POST": USER_POST},
    "privacy.my_data":                    USER_PAGE,
    "privacy.my_data_json":               USER_PAGE,
    # the trainee's pages
    "catalog.enroll":                     TRAINEE_POST,
    "enrollment.my_courses":              TRAINEE_PAGE,
    "enrollment.cancel":                  {"GET": OWN_PAGE, "POST": OWN_POST},
    "attendance.my_attendance":           OWN_PAGE,
    "attendance.checkin":                 {"GET": OWN_PAGE, "POST": OWN_POST},
    "certificates.mine":                  TRAINEE_PAGE,
    "certificates.my_pdf":                OWN_PAGE,
    "certificates.my_credential":         OWN_PAGE,
    # the trainer's pages (staff too)
    "attendance.today":                   TRAINER_PAGE,
    "attendance.record_reach":            COURSE_POST,
    "roster.roster":                      {"GET": COURSE_PAGE, "POST": COURSE_POST},
    "roster.checkin_qr":                  COURSE_PAGE,
    "attendance.sheet":                   COURSE_PAGE,
    "attendance.sheet_xlsx":              COURSE_PAGE,
    "attendance.import_sheet":            {"GET": COURSE_PAGE, "POST": COURSE_POST},
    "attendance.assessments":             COURSE_PAGE,
    "attendance.assess":                  COURSE_POST,
    "attendance.course_summary":          COURSE_PAGE,
    "attendance.summary_csv":             COURSE_PAGE,
    "attendance.summary_xlsx":            COURSE_PAGE,
    # staff pages
    "users.index":                        {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "users.create":                       {"GET": STAFF_PAGE, "POST": STAFF_POST},
    # a role change is the admin's
    "users.detail":    {"GET": STAFF_PAGE, "POST": E(LOGIN, 403, 403, 403, 403, 403, OK)},
    "privacy.reveal_nik":                 STAFF_POST,
    "privacy.erase":                      {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "outbox.index":                       STAFF_PAGE,
    "outbox.detail":                      STAFF_PAGE,
    "outbox.send_again":                  STAFF_POST,
    "outbox.send_again_recent":           STAFF_POST,
    # chan: the WhatsApp templates the office registers; a password reset by a code sent to the phone
    "outbox.whatsapp_templates":          STAFF_PAGE,
    "auth.reset_with_code":               {"GET": PUBLIC, "POST": PUBLIC_POST},
    "partners.index":                     STAFF_PAGE,
    "partners.create":                    {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "partners.detail":                    STAFF_PAGE,
    "partners.edit":                      {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "partners.create_trainer":            {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "manage.courses":                     STAFF_PAGE,
    "manage.choose_type":                 STAFF_PAGE,
    "manage.create_course":               {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "manage.course":                      STAFF_PAGE,
    "manage.edit_course":                 {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "manage.course_status":               STAFF_POST,
    "manage.clone_course":                {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "manage.add_session":                 {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "manage.generate_sessions":           {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "manage.edit_session":                {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "manage.cancel_session":              {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "manage_enrollments.index":                  {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "manage_enrollments.bulk":                   STAFF_POST,
    "manage_enrollments.detail":                 {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "manage_enrollments.add":                    {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "manage_enrollments.export_csv":             STAFF_PAGE,
    "manage_enrollments.export_xlsx":            STAFF_PAGE,
    "certificates.course":                STAFF_PAGE,
    "certificates.issue":                 STAFF_POST,
    "certificates.course_zip":            STAFF_PAGE,
    "certificates.index":                 STAFF_PAGE,
    "certificates.detail":                STAFF_PAGE,
    "certificates.revoke":                STAFF_POST,
    "certificates.reissue":               STAFF_POST,
    "certificates.download_pdf":          STAFF_PAGE,
    "imports.trainees":                   {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "imports.template":                   STAFF_PAGE,
    "exports.index":                      STAFF_PAGE,
    "exports.download_csv":               STAFF_PAGE,
    "exports.download_xlsx":              STAFF_PAGE,
    "reports.index":                      STAFF_REDIRECT,
    "reports.annual":                     STAFF_PAGE,
    "reports.annual_pdf":                 STAFF_PAGE,
    "reports.annual_xlsx":                STAFF_PAGE,
    "reports.partners":                   STAFF_PAGE,
    "reports.partners_xlsx":              STAFF_PAGE,
    # the API (shared/API.md, its "who" column)
    "api-docs.openapi_json":              PUBLIC,
    "api_tokens.create_token":            PUBLIC_POST,
    "api_tokens.revoke_token":            E(401, 204, 204, 204, 204, 204, 204),
    "api_me.me":                          API_USER,
    "api_users.list_users":               API_STAFF,
    "api_users.create_user":              API_STAFF_WRITE,
    "api_regencies.regencies":            PUBLIC,
    "api_partners.list_partners":         PUBLIC,
    "api_partners.create_partner":        API_STAFF_WRITE,
    "api_catalog.list_course_types":      PUBLIC,
    "api_catalog.list_courses":           PUBLIC,
    "api_catalog.create_course":          API_STAFF_WRITE,
    "api_catalog.get_course":             PUBLIC,
    "api_catalog.update_course":          API_STAFF_WRITE,
    "api_catalog.list_sessions":          PUBLIC,
    "api_catalog.create_session":         API_STAFF_WRITE,
    "api_enrollments.enroll":             E(401, OK, OK, 403, 403, OK, OK),
    "api_enrollments.list_enrollments":   API_COURSE,
    "api_enrollments.my_enrollments":     API_TRAINEE,
    "api_enrollments.approve":            API_STAFF_WRITE,
    "api_enrollments.reject":             API_STAFF_WRITE,
    "api_enrollments.cancel":             E(401, OK, 404, 403, 403, OK, OK),
    "api_attendance.get_attendance":      API_COURSE,
    "api_attendance.put_attendance":      API_COURSE_WRITE,
    "api_attendance.put_reach":           API_COURSE_WRITE,
    "api_attendance.check_in":            E(401, OK, 404, 403, 403, 403, 403),
    "api_attendance.check_in_code":       API_COURSE,
    "api_attendance.put_assessment":      API_COURSE_WRITE,
    "api_attendance.attendance_summary":  API_COURSE,
    "api_certificates.issue":             API_STAFF_WRITE,
    "api_certificates.verify":            PUBLIC,
    "api_certificates.certificate_pdf":   API_HOLDER,
    "api_certificates.credential":        API_HOLDER,
    "api_certificates.revoke":            API_STAFF_WRITE,
    "api_reports.annual_report":          API_STAFF,
    # cert: linked re-issue of a certificate
    "api_certificates.reissue":           API_STAFF_WRITE,
    # group: excuse requests and class groups
    "excuses.request_leave":              {"GET": OWN_PAGE, "POST": OWN_POST},
    "excuses.decide":                     COURSE_POST,
    "groups.index":                       {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "groups.place":                       STAFF_POST,
    "groups.distribute":                  STAFF_POST,
    "api_excuses.request_excuse":         E(401, OK, 404, 403, 403, 403, 403),
    "api_excuses.list_excuses":           API_COURSE,
    "api_excuses.accept":                 API_COURSE_WRITE,
    "api_excuses.decline":                API_COURSE_WRITE,
    "api_groups.list_groups":             API_COURSE,
    "api_groups.create_group":            API_STAFF_WRITE,
    "api_groups.update_enrollment":       API_STAFF_WRITE,
    # walk:
    "field.add_walk_in":                  COURSE_POST,
    "field.my_card":                      TRAINEE_PAGE,
    "field.my_card_svg":                  TRAINEE_PAGE,
    "field.my_card_pdf":                  TRAINEE_PAGE,
    "field.renew_my_card":                TRAINEE_POST,
    "field.user_card_pdf":                STAFF_PAGE,
    "field.renew_user_card":              STAFF_POST,
    "field.course_cards":                 {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "field.course_cards_pdf":             STAFF_PAGE,
    "users.edit_profile":                 {"GET": STAFF_PAGE, "POST": STAFF_POST},
    "api_field.add_walk_in":              API_COURSE_WRITE,
    "api_field.my_card":                  API_TRAINEE,
    "api_field.my_card_svg":              API_TRAINEE,
    "api_field.my_card_pdf":              API_TRAINEE,
    "api_field.scan":                     API_COURSE_WRITE,
    # jobs: a job's page, file and progress (its starter, staff); /metrics from loopback
    "jobs.detail":                        E(LOGIN, 200, 404, 404, 404, 200, 200),
    "jobs.download":                      E(LOGIN, 200, 404, 404, 404, 200, 200),
    "api_jobs.job":                       E(401, 200, 404, 404, 404, 200, 200),
    "ops.metrics":                        PUBLIC,
    "exports.start_job":                  STAFF_POST,
    "certificates.course_zip_job":        STAFF_POST,
    "reports.annual_job":                 STAFF_POST,
}
# fmt: on


@dataclass(frozen=True)
class Call:
    """How to call an endpoint whose gate the shared path arguments and an empty body do not
    reach: other path arguments, a query string, a JSON or form body; each a value or a
    function of the ``World``."""

    args: object = field(default_factory=dict)
    query: object = None
    json: object = None
    form: object = None


def checkin_code(world):
    """A check-in code of the world's session that is valid now (the QR code draws no other)."""
    code, _expires = attendance.current_checkin_code(world.live_session)
    db.session.commit()
    return {"code": code}


def this_year(world):
    """The annual report's year: the current one."""
    return {"year": local_today().year}


#: endpoint -> Call, for the endpoints that need one
CALLS = {
    "static": Call(args={"filename": "css/app.css"}),
    "bootstrap.static": Call(args={"filename": "css/bootstrap.min.css"}),
    "roster.checkin_qr": Call(query=checkin_code),
    # the finished course has certificates to put in the ZIP (the running one: a redirect)
    "certificates.course_zip": Call(args=lambda world: {"course_id": world.finished_course_id}),
    "api_reports.annual_report": Call(query=this_year),
    "reports.annual_job": Call(args={"extension": "xlsx"}, form=this_year),
    # valid bodies: these endpoints check the body before the course
    "api_attendance.put_attendance": Call(json={"records": []}),
    "api_attendance.put_reach": Call(json={"people": 1}),
    "api_attendance.check_in": Call(json={"code": "000000"}),
    # group: the bodies that reach the roster and course checks
    "api_excuses.request_excuse": Call(json={"reason": "Sakit"}),
    "api_excuses.accept": Call(json={}),
    "api_excuses.decline": Call(json={}),
    "api_groups.create_group": Call(json={"name": "Kelas A"}),
    "api_groups.update_enrollment": Call(json={"group_id": None}),
    # walk:
    "api_field.add_walk_in": Call(json={"name": "Wati Susanti", "phone": "081270001111"}),
    "api_field.scan": Call(json=lambda world: {"card": cards.card_of(world.users["trainee"]).code}),
}

#: the order of the walk: reads first, so that what a write changes alters no read
METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE")
#: redirects, whose target the mismatch message names
REDIRECTS = (301, 302, 303, 307, 308)


@dataclass
class World:
    """The records the rules' path arguments name, and the user of each actor."""

    #: path argument name -> value
    args: dict
    #: actor -> user (None for anonymous)
    users: dict
    #: the running course's session going on now
    live_session: object
    #: the course that ended, where the trainee holds a certificate
    finished_course_id: int


@pytest.fixture
def world(make_classroom, create_partner, create_user, create_course, create_session):
    """Partner A's running course (registration closed) with its trainer, a session going on
    now and the trainee's enrolment; a finished course of the same trainer where the trainee
    holds a certificate; a trainer of partner B with a course of their own; another user, a
    message in the outbox, a reset token."""
    now = utcnow()
    room = make_classroom(
        1,
        registration_opens_at=now - timedelta(days=30),
        registration_closes_at=now - timedelta(days=12),
    )
    trainee, trainer, staff = room.trainee, room.trainer, room.staff
    live = create_session(
        room.course, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=3)
    )

    today = local_today()
    finished = create_course(
        partner=room.course.partner,
        trainers=[trainer],
        starts_on=today - timedelta(days=40),
        ends_on=today - timedelta(days=12),
    )
    meeting = create_session(finished, starts_at=combine_local(finished.starts_on, time(8, 0)))
    held = enrolment.enroll(trainee, finished, actor=staff, bypass_window=True)
    db.session.flush()
    attendance.save_marks(meeting, [{"enrollment_id": held.id, "status": "present"}], staff)
    attendance.set_assessment(held, staff, score=90, competent=True)
    (certificate,), _skipped = certificates.issue(finished, staff, [held.id])
    db.session.commit()

    partner_b = create_partner(mou_valid_until=today + timedelta(days=365))
    other_trainer = create_user("trainer", name="Joko Susilo", partner_id=partner_b.id)
    create_course(partner=partner_b, trainers=[other_trainer])
    someone = create_user("trainee", name="Orang Lain")
    # group: a request for leave from the live session, awaiting a decision
    excuse = excuses.request_leave(live.id, trainee, "Sakit")
    message = outbox.queue(
        trainee, "password_reset", "emails/password_reset", link="http://localhost/", minutes=60
    )
    db.session.commit()
    job = finished_job(trainee)
    return World(
        args={
            "course_id": room.course.id,
            "session_id": live.id,
            "enrollment_id": room.enrollment.id,
            "certificate_id": certificate.id,
            "code": certificate.code,
            "user_id": someone.id,
            "partner_id": room.course.partner_id,
            "message_id": message.id,
            "token": auth_services.make_reset_token(trainee),
            "key": "trainees",
            "type_key": "hospitality",
            "extension": "csv",
            "excuse_id": excuse.id,
            "job_id": job.id,
        },
        users={
            "anonymous": None,
            "trainee": trainee,
            "stranger": room.outsider,
            "trainer": trainer,
            "other_trainer": other_trainer,
            "colleague": room.other_trainer,
            "staff": staff,
            "admin": room.admin,
        },
        live_session=live,
        finished_course_id=finished.id,
    )


# --- the walk ------------------------------------------------------------------------------------


def _value(value, world):
    return value(world) if callable(value) else value


def _methods(rule):
    return sorted(rule.methods - {"HEAD", "OPTIONS"}, key=METHOD_ORDER.index)


def _expected(endpoint, method):
    """The declared answers of an endpoint's method, or None."""
    entry = ACCESS.get(endpoint)
    return entry.get(method) if isinstance(entry, dict) else entry


def _requests(app):
    """(rule, method) of every rule of the URL map, in the walk's order."""
    found = [(rule, method) for rule in app.url_map.iter_rules() for method in _methods(rule)]
    return sorted(found, key=lambda r: (METHOD_ORDER.index(r[1]), r[0].rule))


class Caller:
    """Clients acting as one actor: a login session for pages, a bearer token for the API.

    Reads share them; each write gets a fresh login or token, as a write may end them
    (POST /logout, DELETE /api/v1/tokens/current).
    """

    def __init__(self, app, api_headers, user):
        self.app, self.api_headers, self.user = app, api_headers, user
        self.page = self.api = self.headers = None

    def page_client(self, fresh):
        if self.page is None or fresh:
            self.page = self.app.test_client()
            if self.user is not None:
                log_in(self.page, self.user)
        return self.page, {"Accept-Language": "en"}

    def api_client(self, fresh):
        if self.api is None or fresh:
            self.api, self.headers = self.app.test_client(), self.api_headers(self.user)
        return self.api, self.headers

    def open(self, path, method, api, **kwargs):
        """The response to one request, its body read to the end (a streamed download too)."""
        client, headers = (self.api_client if api else self.page_client)(method != "GET")
        response = client.open(path, method=method, headers=headers, **kwargs)
        response.get_data()
        response.close()
        return response


def _path(rule, world, call):
    """The rule's URL with the world's arguments, or raise naming those the world lacks."""
    values = {**world.args, **_value(call.args, world)}
    missing = sorted(set(rule.arguments) - set(values))
    if missing:
        raise LookupError(f"no value in the world for {', '.join(missing)}")
    return rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)[1]


def _problem(want, response, api):
    """Why ``response`` is not the declared answer ``want``, or None when it is."""
    status = response.status_code
    login = status == 302 and (response.location or "").startswith("/login?next=")
    if want == LOGIN:
        matched = login
    elif want == OK:
        matched = status < 500 and status not in (401, 403, 404) and not login
    else:
        matched = status == want
    if not matched:
        return f"expected {want}"
    if 400 <= status < 500 and api and not response.is_json:
        return "an error that is not JSON under /api"
    if 400 <= status < 500 and not api and response.mimetype != "text/html":
        return "an error page that is not HTML"
    return None


def _got(response):
    if response.status_code in REDIRECTS:
        return f"{response.status_code} to {urlsplit(response.location or '').path}"
    return str(response.status_code)


def _call(caller, world, rule, method):
    """Send ``method`` to ``rule`` through ``caller``, as ``CALLS`` says; the response."""
    call = CALLS.get(rule.endpoint, Call())
    api = rule.rule.startswith("/api/")
    body = {}
    if method != "GET" and call.form is not None:
        body["data"] = _value(call.form, world)
    elif method != "GET" and api:
        body["json"] = _value(call.json, world) if call.json is not None else {}
    path = _path(rule, world, call)
    return caller.open(path, method, api, query_string=_value(call.query, world), **body)


def walk(app, api_headers, world, actor):
    """Call every declared rule with every method as ``actor``; the answers that differ from
    ``ACCESS``, one line each."""
    column = ACTORS[actor]
    caller = Caller(app, api_headers, world.users[actor])
    mismatches = []
    for rule, method in _requests(app):
        expected = _expected(rule.endpoint, method)
        if expected is None:
            continue  # test_every_rule_is_declared names it
        want = getattr(expected, column)
        where = f"{method} {rule.rule} {actor}"
        try:
            response = _call(caller, world, rule, method)
        except LookupError as exc:
            mismatches.append(f"{where}: {exc}")
            continue
        problem = _problem(want, response, rule.rule.startswith("/api/"))
        if problem:
            mismatches.append(f"{where}: got {_got(response)}, {problem}")
    return mismatches


# --- the tests -----------------------------------------------------------------------------------


def test_every_rule_is_declared(app):
    """Every rule of the URL map and every method of it has its line in ACCESS."""
    missing = [
        f"{method} {rule.rule} ({rule.endpoint})"
        for rule in app.url_map.iter_rules()
        for method in _methods(rule)
        if _expected(rule.endpoint, method) is None
    ]
    assert not missing, (
        "Declare who may use these in ACCESS (tests/test_access_matrix.py):\n" + "\n".join(missing)
    )


def test_the_table_names_only_real_endpoints(app):
    """No line in ACCESS or CALLS for an endpoint that does not exist (a renamed or removed
    route), and no method its rule does not take."""
    methods = {}
    for rule in app.url_map.iter_rules():
        methods.setdefault(rule.endpoint, set()).update(_methods(rule))
    stale = sorted((set(ACCESS) | set(CALLS)) - set(methods))
    stale += [
        f"{endpoint} {method}"
        for endpoint, entry in ACCESS.items()
        if isinstance(entry, dict) and endpoint in methods
        for method in sorted(set(entry) - methods[endpoint])
    ]
    assert not stale, "Not in the URL map: " + ", ".join(stale)
    assert set(ACTORS.values()) == {f.name for f in fields(E)}


@pytest.mark.parametrize("actor", list(ACTORS))
def test_access_matrix(app, api_headers, world, actor):
    """Every rule answers ``actor`` as ACCESS declares."""
    mismatches = walk(app, api_headers, world, actor)
    assert not mismatches, f"{len(mismatches)} answers differ from ACCESS:\n" + "\n".join(
        mismatches
    )

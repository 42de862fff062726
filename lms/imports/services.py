"""Importing trainees from a CSV or XLSX file: a plan first (the dry run), then all of it or nothing.

Every value is checked with the rules of registration (``lms.auth.services`` and
``lms.auth.validation``); this module only reads the spreadsheet's spellings (L/P, 17/08/1995,
a regency's name, the Indonesian name of a group) into the values those rules take. A row
matches an existing trainee by NIK, then by e-mail, then (a row without e-mail) by the mobile
number of an account without e-mail and the name, so importing the same file twice changes
nothing. A row may leave the e-mail out when it gives a mobile number: the trainee logs in with
the number, as one who registered so. The staff page and ``flask lms import-trainees`` share
these functions; neither commits here: ``apply_plan`` flushes and the caller commits once.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from lms.audit import services as audit
from lms.auth import validation as v
from lms.auth.models import GENDER_LABELS, TARGET_GROUP_LABELS, User
from lms.auth.services import clean_profile, default_channel, unusable_password
from lms.catalog.models import Course
from lms.core import tabular
from lms.core.locking import lock_values
from lms.core.urls import public_url
from lms.errors import Conflict, InvalidInput
from lms.extensions import db
from lms.outbox import services as outbox
from lms.regions.models import Regency

#: the columns of the template, in order; the trainee export writes the same ones
COLUMNS = ("name", "email", "nik", "birth_date", "gender", "phone", "regency", "target_group")
#: columns every row must fill; the others may stay empty (an empty cell never erases a value),
#: but a row without an e-mail address needs a mobile number (the trainee logs in with it)
REQUIRED = ("name",)
#: each column in words (the header in the file stays the short name above)
COLUMN_LABELS = {
    "name": _l("Full name"),
    "email": _l("E-mail"),
    "nik": _l("NIK"),
    "birth_date": _l("Date of birth"),
    "gender": _l("Gender"),
    "phone": _l("Mobile number"),
    "regency": _l("Regency or city"),
    "target_group": _l("Participant group"),
}
#: what the template's help sheet says about each column
COLUMN_HELP = {
    "name": _l("Full name as on the KTP. Required."),
    "email": _l(
        "E-mail address; the trainee logs in with it. It may stay empty when the row has a "
        "mobile number."
    ),
    "nik": _l("NIK, the 16 digits on the KTP. Write it as text, not as a number."),
    "birth_date": _l("Date of birth: YYYY-MM-DD or DD/MM/YYYY."),
    "gender": _l("L for a man, P for a woman (the words laki-laki and perempuan work too)."),
    "phone": _l(
        "Indonesian mobile number, e.g. 0812 3456 7890. Required when the e-mail is empty: the "
        "trainee then logs in with this number and gets messages by SMS or WhatsApp."
    ),
    "regency": _l(
        "The regency or city the trainee comes from, by its name (Lampung Timur, Kota Metro)."
    ),
    "target_group": _l("Which group the trainee belongs to: one of the words below."),
}
#: the words a cell of a column may hold, with what each means (the page's explanation)
COLUMN_VALUES = {
    "gender": (("L", GENDER_LABELS["male"]), ("P", GENDER_LABELS["female"])),
    "target_group": (
        ("cpmi", TARGET_GROUP_LABELS["cpmi"]),
        ("purna_pmi", TARGET_GROUP_LABELS["purna_pmi"]),
        ("keluarga", TARGET_GROUP_LABELS["family"]),
        ("umum", TARGET_GROUP_LABELS["general"]),
    ),
}
#: the example row of the help sheet (never on the sheet that is imported)
EXAMPLE = (
    "Siti Rahmawati",
    "siti.rahmawati@example.org",
    "1807015708950001",
    "17/08/1995",
    "P",
    "0812 3456 7890",
    "Lampung Timur",
    "cpmi",
)

CREATE, UPDATE, UNCHANGED, REJECT = "create", "update", "unchanged", "reject"
ACTIONS = (CREATE, UPDATE, UNCHANGED, REJECT)
#: what a row does in the chosen course: a seat, a waitlist place, or nothing (already there)
ENROLLED, WAITLISTED, ALREADY = "enrolled", "waitlisted", "already"
ENROLLING = (ENROLLED, WAITLISTED)
#: profile fields a row sets, with the column each comes from
FIELD_COLUMNS = {
    "name": "name",
    "email": "email",
    "nik": "nik",
    "birth_date": "birth_date",
    "gender": "gender",
    "phone": "phone",
    "regency_code": "regency",
    "target_group": "target_group",
}
#: enrolment statuses after which enrolling again is refused ("already registered")
_HELD = ("pending", "enrolled", "waitlisted", "completed")
#: how many values one IN (...) carries when existing accounts are looked up
_CHUNK = 5000
#: extra spellings of genders and groups seen in the office's spreadsheets
_GENDER_WORDS = {
    "male": ("m", "l", "lk", "laki laki", "lakilaki", "laki", "pria"),
    "female": ("f", "p", "pr", "perempuan", "wanita", "w"),
}
_GROUP_WORDS = {
    "cpmi": ("calon pmi", "calon pekerja migran", "calon pekerja migran indonesia"),
    "purna_pmi": ("purna", "pmi purna", "mantan pmi", "mantan pekerja migran"),
    "family": ("keluarga", "keluarga pmi", "keluarga pekerja migran"),
    "general": ("umum", "masyarakat umum", "public", "general public"),
}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S")


class _Office:
    """The actor of an import run from the command line: the office itself, no account."""

    id = None
    role = "staff"
    is_staff = True


OFFICE = _Office()


@dataclass
class RowResult:
    """What the import does with one row of the file."""

    #: row number as a spreadsheet shows it (the header is row 1)
    line: int
    #: one of ACTIONS
    action: str
    #: the row as read (column -> text)
    raw: dict
    #: the clean profile values (model fields) of an accepted row
    values: dict = field(default_factory=dict)
    #: the trainee the row matches (None for a new one)
    user: User | None = None
    #: fields an update changes, in column order
    changes: tuple = ()
    #: why the row is rejected: (column, message) pairs
    errors: list = field(default_factory=list)
    #: with a course: ENROLLED or WAITLISTED (predicted), ALREADY, or None
    enrollment: str | None = None

    @property
    def reasons(self):
        """The rejection as one line of text: "column: message; ..."."""
        return "; ".join(
            f"{column}: {message}" if column else str(message) for column, message in self.errors
        )

    @property
    def contact(self):
        """The row's e-mail address as written, else its mobile number."""
        return self.raw.get("email") or self.raw.get("phone") or ""

    @property
    def label(self):
        """Who the row is about, for lists: the name and e-mail (or mobile number) as written."""
        contact = f"<{self.contact}>" if self.contact else ""
        return " ".join(x for x in (self.raw.get("name"), contact) if x)


@dataclass
class ImportPlan:
    """The outcome of every row of a file; ``apply_plan`` writes it."""

    rows: list
    course: Course | None = None

    @property
    def counts(self):
        """{action: number of rows}, every action present."""
        counts = dict.fromkeys(ACTIONS, 0)
        counts.update(Counter(row.action for row in self.rows))
        return counts

    @property
    def rejected(self):
        return [row for row in self.rows if row.action == REJECT]

    @property
    def to_enroll(self):
        """Number of rows that would be enrolled in the course."""
        return sum(1 for row in self.rows if row.enrollment in ENROLLING)

    @property
    def changes_anything(self):
        return any(
            row.action in (CREATE, UPDATE) or row.enrollment in ENROLLING for row in self.rows
        )


@dataclass(frozen=True)
class AcceptedSummary:
    """The accepted rows of a plan in figures, for a dry run of thousands of rows."""

    #: [(regency name, rows)], most rows first; rows without a regency under ""
    regencies: list
    #: [(target group label, rows)], most rows first
    groups: list
    #: {ENROLLED / WAITLISTED / ALREADY: rows}, with a course
    enrollment: dict


def accepted_summary(plan):
    """How the plan's accepted rows (created, updated, unchanged) break down: by regency (by
    name), by participant group, and by what happens in the course."""
    accepted = [row for row in plan.rows if row.action != REJECT]
    by_code = Counter(
        row.values.get("regency_code") or (row.user.regency_code if row.user else None)
        for row in accepted
    )
    names = dict(
        db.session.execute(
            select(Regency.code, Regency.name).where(Regency.code.in_([c for c in by_code if c]))
        ).all()
    )
    groups = Counter(
        row.values.get("target_group") or (row.user.target_group if row.user else None)
        for row in accepted
    )
    return AcceptedSummary(
        regencies=sorted(
            ((names.get(code, "") if code else "", n) for code, n in by_code.items()),
            key=lambda pair: (-pair[1], pair[0]),
        ),
        groups=sorted(
            (
                (str(TARGET_GROUP_LABELS[key]) if key in TARGET_GROUP_LABELS else "", n)
                for key, n in groups.items()
            ),
            key=lambda pair: (-pair[1], pair[0]),
        ),
        enrollment=Counter(row.enrollment for row in accepted if row.enrollment),
    )


@dataclass(frozen=True)
class ImportResult:
    """What ``apply_plan`` wrote."""

    created: int
    updated: int
    unchanged: int
    enrolled: int


# --- reading the file ------------------------------------------------------------------------


def read_rows(upload):
    """The rows of an uploaded CSV or XLSX file, after checking its columns.

    :raise InvalidInput: not CSV or XLSX, empty, too long, or columns missing (``fields["file"]``)
    """
    headers, rows = tabular.read_table(upload)
    missing = [c for c in COLUMNS if c not in headers]
    if missing:
        message = _(
            "The file lacks the columns %(missing)s. The first row must name the columns "
            "%(columns)s, as in the template.",
            missing=", ".join(missing),
            columns=", ".join(COLUMNS),
        )
        raise InvalidInput(message, fields={"file": [message]}, code="columns")
    return rows


def find_course(code):
    """The course to enrol the trainees in, by code.

    :raise InvalidInput: no course has this code, or it takes no enrolments (``fields["course"]``)
    """
    code = (code or "").strip()
    course = db.session.scalar(select(Course).where(Course.code == code)) if code else None
    if course is None:
        message = _("No course has the code %(code)s.", code=code)
        raise InvalidInput(message, fields={"course": [message]}, code="course")
    if not course.visible:
        message = _("This course is not open for registration.")
        raise InvalidInput(message, fields={"course": [message]}, code="course")
    return course


# --- spellings -------------------------------------------------------------------------------


def _word(text):
    """Lower case, separators as single spaces: "Purna_PMI " -> "purna pmi"."""
    return " ".join(re.sub(r"[_\-./]+", " ", str(text).lower()).split())


def _labels(labels):
    """{word: key} for the labels of a mapping in every language of the app."""
    words = {}
    for locale in current_app.config["LANGUAGES"]:
        with force_locale(locale):
            words.update({_word(str(label)): key for key, label in labels.items()})
    return words


@dataclass
class _Lookups:
    """The spellings a file may use, resolved once per import."""

    genders: dict
    groups: dict
    regencies: dict
    #: keeps the regencies in the session's identity map, so that checks make no query
    regency_rows: list


def _lookups():
    genders = _labels(GENDER_LABELS)
    for key, words in _GENDER_WORDS.items():
        genders.update(dict.fromkeys(words, key))
        genders[key] = key
    groups = _labels(TARGET_GROUP_LABELS)
    for key, words in _GROUP_WORDS.items():
        groups.update(dict.fromkeys(words, key))
        groups[_word(key)] = key
    rows = db.session.scalars(select(Regency)).all()
    regencies = {}
    for regency in rows:
        name = _word(regency.name)
        regencies.setdefault(name.removeprefix("kota "), regency.code)
        for prefix in ("kabupaten ", "kab "):
            regencies.setdefault(prefix + name, regency.code)
    for regency in rows:  # exact names and codes win over the shortened forms
        regencies[_word(regency.name)] = regency.code
        regencies[regency.code] = regency.code
    return _Lookups(genders, groups, regencies, rows)


def _parse_date(text):
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _phone_text(text):
    """A spreadsheet stores 0812... as the number 812...: give it its leading zero back."""
    return "0" + text if re.fullmatch(r"8[0-9]{8,11}", text) else text


def _read(raw, lookups):
    """A row's text as the values the registration rules take; spelling errors by column."""
    errors = {}
    data = {}
    for column in REQUIRED:
        if not raw.get(column):
            errors[column] = [_("This field is required.")]
    if raw.get("name"):
        data["name"] = raw["name"]
    if raw.get("email"):
        try:
            data["email"] = v.normalize_email(raw["email"])
        except v.ValidationFailed as exc:
            errors["email"] = [exc.message]
    elif not raw.get("phone"):
        errors["email"] = [_("Write an e-mail address, or a mobile number to log in with.")]
    if raw.get("nik"):
        data["nik"] = raw["nik"]
    if raw.get("phone"):
        data["phone"] = _phone_text(raw["phone"])
    if raw.get("birth_date"):
        day = _parse_date(raw["birth_date"])
        if day is None:
            errors["birth_date"] = [_("Write the date as YYYY-MM-DD or DD/MM/YYYY.")]
        else:
            data["birth_date"] = day
    if raw.get("gender"):
        data["gender"] = lookups.genders.get(_word(raw["gender"]))
        if data["gender"] is None:
            errors["gender"] = [_("Write male or female (L or P).")]
    if raw.get("target_group"):
        data["target_group"] = lookups.groups.get(_word(raw["target_group"]))
        if data["target_group"] is None:
            errors["target_group"] = [_("Write cpmi, purna_pmi, family or general.")]
    if raw.get("regency"):
        text = raw["regency"].strip()
        data["regency_code"] = lookups.regencies.get(text) or lookups.regencies.get(_word(text))
        if data["regency_code"] is None:
            errors["regency"] = [_("No regency or city has this code or name.")]
    return {k: value for k, value in data.items() if value is not None}, errors


def _column(name):
    """The column a profile field comes from."""
    return FIELD_COLUMNS.get(name, name)


def _check(raw, lookups):
    """(clean values, [(column, message), ...]) of one row, by the registration rules."""
    data, errors = _read(raw, lookups)
    found = {}
    clean = clean_profile({k: value for k, value in data.items() if k != "email"}, found)
    for name, messages in found.items():
        errors.setdefault(_column(name), []).extend(messages)
    if "email" in data:
        clean["email"] = data["email"]
    return clean, [(column, m) for column in COLUMNS for m in errors.get(column, [])]


# --- the plan --------------------------------------------------------------------------------


def _chunks(values):
    values = list(values)
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _accounts(column, values):
    """{value: user} of the accounts whose ``column`` is one of ``values`` (one query per chunk)."""
    found = {}
    for chunk in _chunks(values):
        for user in db.session.scalars(select(User).where(column.in_(chunk))):
            found[getattr(user, column.key)] = user
    return found


def _phone_accounts(values):
    """{phone: [users]} of the accounts with one of these mobile numbers (one query per chunk):
    a number may be shared by accounts that all have an e-mail address (a family's phone)."""
    found = {}
    for chunk in _chunks(values):
        for user in db.session.scalars(select(User).where(User.phone.in_(chunk))):
            found.setdefault(user.phone, []).append(user)
    return found


def _numbers_given(plan):
    """The mobile numbers a plan writes into accounts: those of the new trainees, and the new
    numbers of the updated ones."""
    return {
        row.values["phone"]
        for row in plan.rows
        if row.values.get("phone")
        and (row.action == CREATE or (row.action == UPDATE and "phone" in row.changes))
    }


def _shared_logins(values):
    """Which of these mobile numbers an account without e-mail shares with another account (the
    rule :func:`_match` keeps: such a number logs that account in, so it is its own)."""
    shared = []
    for chunk in _chunks(values):
        shared += db.session.scalars(
            select(User.phone)
            .where(User.phone.in_(chunk))
            .group_by(User.phone)
            .having(func.count() > 1, func.count() > func.count(User.email))
        ).all()
    return shared


def _match(values, by_nik, by_email, by_phone):
    """The trainee a row is about, or the reasons it cannot be matched safely.

    By NIK, then by e-mail; a row without e-mail by its mobile number, which is the login of an
    account without e-mail (a number shared by accounts with e-mail addresses identifies none of
    them), when the row names the account's holder. A number that logs in an account without
    e-mail is that account's own: no other row may give it to someone else.
    """
    user, key = by_nik.get(values.get("nik")), "nik"
    owner = by_email.get(values.get("email"))
    phone = values.get("phone")
    holders = by_phone.get(phone, []) if phone else []
    phone_logins = [u for u in holders if u.email is None]
    errors = []
    if user is None and values.get("email"):
        user, key = owner, "email"
        if user is not None and user.nik and values.get("nik") and user.nik != values["nik"]:
            errors.append(
                ("email", _("This e-mail address belongs to an account with another NIK."))
            )
    elif user is None and phone:
        key = "phone"
        if len(phone_logins) > 1:
            errors.append(
                (
                    "phone",
                    _(
                        "Several accounts log in with this mobile number: write the trainee's "
                        "NIK in the row."
                    ),
                )
            )
        elif phone_logins:
            user = phone_logins[0]
            if user.nik and values.get("nik") and user.nik != values["nik"]:
                errors.append(
                    ("phone", _("This mobile number belongs to an account with another NIK."))
                )
            elif values.get("name") and not v.same_name(user.name, values["name"]):
                # a family's phone: the number alone never makes a row someone else (as a
                # walk-in is found by number and name), nor renames them
                errors.append(
                    (
                        "phone",
                        _(
                            "This mobile number logs in the account of %(name)s, another "
                            "person: a number logs in one account only. Leave it out of this "
                            "row, or write the trainee's own number.",
                            name=user.name,
                        ),
                    )
                )
        elif holders:
            errors.append(
                (
                    "phone",
                    _(
                        "Accounts with an e-mail address use this mobile number: write the "
                        "trainee's e-mail address or NIK in the row."
                    ),
                )
            )
    elif owner is not None and owner is not user:
        errors.append(("email", _("This e-mail address belongs to another account.")))
    if not errors and phone and any(u is not user for u in phone_logins):
        # the number logs in another account (one without e-mail): it stays that account's own
        errors.append(("phone", _("An account with this mobile number already exists.")))
    if (
        not errors
        and user is not None
        and user.email is None
        and not values.get("email")
        and phone != user.phone
        and any(u is not user for u in holders)
    ):
        # the account without e-mail would log in with a number other accounts use too
        errors.append(("phone", _("An account with this mobile number already exists.")))
    if user is not None and user.role != "trainee" and not errors:
        errors.append((key, _("This account is not a trainee's (it is staff or a trainer).")))
    return user, errors


def _enrollment_check(row, course, held, others, seats):
    """With a course: what enrolling an accepted row would give, or its refusals as errors.

    ``others`` are the matched trainees' active enrolments elsewhere (read in bulk); ``seats``
    is a one-item list: the seats still free as the rows are counted in file order.
    """
    from lms.enrollment.services import refusals

    user = row.user
    if user is not None and held.get(user.id) in _HELD:
        return ALREADY, []
    # the rules of enrolment look at the profile as it will be after the import
    current = {name: getattr(user, name) for name in FIELD_COLUMNS} if user is not None else {}
    candidate = User(id=user.id if user else None, role="trainee", **{**current, **row.values})
    found = refusals(candidate, course, bypass_window=True, others=others.get(candidate.id, []))
    errors = [("course", r.message) for r in found]
    if errors:
        return None, errors
    seats[0] -= 1
    if seats[0] >= 0:
        return ENROLLED, []
    if course.waitlist:
        return WAITLISTED, []
    return None, [("course", _("This course is full."))]


def plan_import(rows, course=None, progress=None):
    """What importing ``rows`` (dicts keyed by column) would do, row by row; writes nothing.

    Existing accounts are read in bulk (by NIK, then by e-mail), never one query per row. With
    a ``course``, each row is also checked against the enrolment rules. ``progress(n)`` is
    called as rows are checked (the command line's progress bar).
    """
    lookups = _lookups()
    read = [(line, raw, *_check(raw, lookups)) for line, raw in enumerate(rows, start=2)]
    by_nik = _accounts(User.nik, {c["nik"] for _i, _r, c, _e in read if c.get("nik")})
    by_email = _accounts(User.email, {c["email"] for _i, _r, c, _e in read if c.get("email")})
    by_phone = _phone_accounts({c["phone"] for _i, _r, c, _e in read if c.get("phone")})
    held, others, seats = {}, {}, [0]
    if course is not None:
        from lms.enrollment.models import Enrollment
        from lms.enrollment.services import other_active_enrollments

        phoned = [u for users in by_phone.values() for u in users if u.email is None]
        ids = {u.id for u in (*by_nik.values(), *by_email.values(), *phoned)}
        others = other_active_enrollments(ids, course)
        for chunk in _chunks(ids):
            held.update(
                db.session.execute(
                    select(Enrollment.user_id, Enrollment.status).where(
                        Enrollment.course_id == course.id, Enrollment.user_id.in_(chunk)
                    )
                ).all()
            )
        # a course without a capacity has no seat limit
        seats[0] = (course.capacity or 10**9) - course.enrolled_count

    results, first_line = [], {}
    for line, raw, clean, errors in read:
        for key in ("nik", "email"):
            if clean.get(key):
                seen = first_line.setdefault((key, clean[key]), line)
                if seen != line:
                    errors.append((key, _("The same value is on row %(row)s.", row=seen)))
        if clean.get("phone"):
            # a row without e-mail logs in with its number: no other row may carry it (rows
            # with e-mail addresses may share one, a family's phone)
            phone = clean["phone"]
            seen = first_line.get(("login", phone))
            if seen is None and not clean.get("email"):
                seen = first_line.get(("phone", phone))
                first_line[("login", phone)] = line
            first_line.setdefault(("phone", phone), line)
            if seen is not None and seen != line:
                errors.append(("phone", _("The same value is on row %(row)s.", row=seen)))
        row = RowResult(line=line, action=REJECT, raw=raw, values=clean, errors=errors)
        if not errors:
            row.user, row.errors = _match(clean, by_nik, by_email, by_phone)
        if not row.errors:
            if row.user is None:
                row.action = CREATE
            else:
                row.changes = tuple(
                    name
                    for name in FIELD_COLUMNS
                    if name in clean and getattr(row.user, name) != clean[name]
                )
                row.action = UPDATE if row.changes else UNCHANGED
            if course is not None:
                row.enrollment, row.errors = _enrollment_check(row, course, held, others, seats)
                if row.errors:
                    row.action = REJECT
        if row.action == REJECT:
            row.values = {}
        results.append(row)
        if progress is not None:
            progress(1)
    return ImportPlan(rows=results, course=course)


# --- writing ---------------------------------------------------------------------------------


def apply_plan(plan, actor=None, progress=None, welcome=True):
    """Write a plan: create and update the trainees, enrol them in the plan's course.

    Each new trainee gets a welcome message through their channel (e-mail, or SMS / WhatsApp
    for one with only a mobile number) saying how to set a password (``welcome``).

    All or nothing: a plan with rejected rows is refused, and if any row fails while writing,
    the transaction is rolled back and nothing is written. Flushes; the caller commits.
    ``actor`` is the staff member (None from the command line: the office).

    :raise InvalidInput: the plan has rejected rows, or a row failed while writing
    :raise Conflict: another account took a NIK, e-mail address or mobile number of the file
        meanwhile (the numbers are locked as registration locks one, and checked once written)
    """
    from lms.enrollment.services import enroll_many

    if plan.rejected:
        raise InvalidInput(
            _("Correct the rejected rows first: nothing was imported."), code="rejected"
        )
    actor = actor or OFFICE
    # the numbers the file gives to accounts are locked as registration locks one, then checked
    # again once written: someone may have registered with one since the plan was read
    phones = _numbers_given(plan)
    lock_values(User, "phone", phones)
    created, updated = [], []
    for row in plan.rows:
        if row.action == CREATE:
            row.user = User(
                role="trainee",
                password_hash=unusable_password(),
                preferred_channel=default_channel(row.values.get("email"), row.values.get("phone")),
                **row.values,
            )
            db.session.add(row.user)
            created.append(row.user)
        elif row.action == UPDATE:
            for name in row.changes:
                setattr(row.user, name, row.values[name])
            updated.append(row.user)
    taken = Conflict(
        _(
            "Another account took a NIK, e-mail address or mobile number of the file meanwhile: "
            "nothing was imported. Check the file again."
        ),
        code="taken",
    )
    try:
        db.session.flush()
    except IntegrityError as exc:
        raise taken from exc  # the boundary rolls the whole import back
    if _shared_logins(phones):
        raise taken
    if progress is not None:
        progress(len(created) + len(updated))
    if created and welcome:
        forgot = public_url("auth.forgot_password")
        for user in created:
            outbox.queue(user, "account_welcome", "emails/account_welcome", link=forgot)
    for user in created:
        audit.record("user.created", user, actor=actor, role="trainee", source="import")
    for user in updated:
        audit.record("user.updated", user, actor=actor, source="import")
    enrolled = 0
    if plan.course is not None:
        rows = [row for row in plan.rows if row.enrollment in ENROLLING]
        outcomes = enroll_many(
            [row.user for row in rows], plan.course, actor=actor, bypass_window=True
        )
        for row, outcome in zip(rows, outcomes, strict=True):
            if outcome.error is not None:
                raise InvalidInput(
                    _(
                        "Row %(row)s could not be enrolled (%(reason)s): nothing was imported.",
                        row=row.line,
                        reason=outcome.error.message,
                    ),
                    code="enrollment",
                ) from outcome.error
        enrolled = len(outcomes)
        if progress is not None:
            progress(enrolled)
    counts = plan.counts
    audit.record(
        "trainees.imported",
        actor=actor,
        object_type="course" if plan.course is not None else "",
        object_id=plan.course.id if plan.course is not None else None,
        created=len(created),
        updated=len(updated),
        unchanged=counts[UNCHANGED],
        enrolled=enrolled,
    )
    db.session.flush()
    return ImportResult(len(created), len(updated), counts[UNCHANGED], enrolled)


# --- the template ----------------------------------------------------------------------------


def template_csv():
    """The template as CSV text: the header row only."""
    return "".join(tabular.csv_stream(list(COLUMNS), []))


def template_xlsx():
    """The template as an XLSX workbook (bytes): the sheet to fill in (NIK and phone formatted
    as text, so that a spreadsheet keeps all 16 digits and the leading zero), and a help sheet
    with what each column takes and an example row."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "trainees"
    bold = Font(bold=True)
    widths = (30, 32, 20, 14, 10, 18, 24, 16)
    for index, (column, width) in enumerate(zip(COLUMNS, widths, strict=True), start=1):
        cell = sheet.cell(row=1, column=index, value=column)
        cell.font = bold
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = width
        if column in ("nik", "phone", "birth_date"):
            # text format for the rows people fill in, so 16 digits and leading zeros survive
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, 1002):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    help_sheet = workbook.create_sheet(tabular.sheet_title(_("Help")))
    help_sheet.append([_("Column"), _("What to write"), _("Example")])
    for cell in help_sheet[1]:
        cell.font = bold
    for column, example in zip(COLUMNS, EXAMPLE, strict=True):
        help_sheet.append([column, str(COLUMN_HELP[column]), example])
    help_sheet.append([])
    help_sheet.append(["", _("Only the first sheet is imported. Do not change the column names.")])
    help_sheet.column_dimensions["A"].width = 16
    help_sheet.column_dimensions["B"].width = 80
    help_sheet.column_dimensions["C"].width = 30
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def open_course_codes():
    """Codes of the courses an import may enrol in (taking enrolments, not over), soonest first."""
    from lms.core.time import local_today

    return db.session.scalars(
        select(Course.code)
        .where(Course.visible, Course.ends_on >= local_today())
        .order_by(Course.starts_on, Course.code)
        .limit(500)
    ).all()

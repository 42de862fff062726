"""Trainees without e-mail in the import: a row with a valid Indonesian mobile number may leave
the e-mail out (the number is checked and written as registration does), duplicates are found
by the number as they are by the e-mail address, and the new trainee's welcome message goes
through their channel (SMS or WhatsApp for one with only a phone)."""

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from lms.auth import services as auth_services
from lms.auth.models import User
from lms.errors import Conflict
from lms.extensions import db
from lms.imports import services
from lms.outbox.models import OutboxMessage
from tests.fixtures.users import PASSWORD, in_thread
from tests.imports.test_imports import csv_bytes, post_file, trainee_row


@pytest.fixture(autouse=True)
def english():
    with force_locale("en"):
        yield


def phone_row(i, phone, **kw):
    """Row i of a file without an e-mail address."""
    return {**trainee_row(i), "email": "", "phone": phone, **kw}


def plan(rows, course=None):
    return services.plan_import(rows, course)


def errors(row):
    return [(column, str(message)) for column, message in row.errors]


def welcome(user):
    return db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.user_id == user.id, OutboxMessage.kind == "account_welcome"
        )
    ).all()


def test_a_row_with_a_mobile_number_and_no_email_creates_a_phone_trainee(dummy_staff):
    rows = [phone_row(1, "0812 3456 7001"), trainee_row(2)]
    found = plan(rows)
    assert [(r.action, r.errors) for r in found.rows] == [("create", []), ("create", [])]
    services.apply_plan(found, dummy_staff)
    db.session.commit()
    user = db.session.scalar(select(User).where(User.phone == "+6281234567001"))
    # normalised as registration writes it; no e-mail; reached on the phone
    assert (user.email, user.name, user.role) == (None, "Peserta Impor 0001", "trainee")
    from lms.auth import services as auth

    # the channel registration gives a phone-only account: one that reaches the phone
    assert user.preferred_channel == auth.default_channel(None, user.phone) != "email"
    [message] = welcome(user)
    assert message.recipient == "+6281234567001"
    assert "0812" not in message.text and "+6281234567001" in message.text
    assert "/password/forgot" in message.text and len(message.text) <= 160
    # in the office's language (the trainee has chosen none yet)
    assert "nomor HP Anda +6281234567001" in message.body
    assert "kode lewat SMS atau WhatsApp" in message.body
    # a trainee with an address gets the same welcome by e-mail
    other = db.session.scalar(select(User).where(User.email == "impor2@example.org"))
    assert other.preferred_channel == "email"
    [mail] = welcome(other)
    assert mail.recipient == "impor2@example.org"
    assert "alamat e-mail Anda impor2@example.org" in mail.body
    # they set a password with the code sent to the phone, then log in with the number
    assert auth.authenticate("0812 3456 7001", "") is None
    assert auth.user_by_phone("+6281234567001").id == user.id


def test_the_number_follows_the_registration_rule():
    found = plan(
        [
            phone_row(1, "0212345678"),  # a landline
            phone_row(2, "81234567002"),  # a spreadsheet lost the leading zero
            phone_row(3, "+62 812-3456-7003"),
            phone_row(4, ""),  # neither e-mail nor phone
        ]
    )
    rows = found.rows
    assert rows[0].action == "reject"
    assert errors(rows[0]) == [
        (
            "phone",
            "Enter an Indonesian mobile number, for example 0812 3456 7890 or +62 812 3456 7890.",
        )
    ]
    assert (rows[1].action, rows[1].values["phone"]) == ("create", "+6281234567002")
    assert (rows[2].action, rows[2].values["phone"]) == ("create", "+6281234567003")
    assert errors(rows[3]) == [
        ("email", "Write an e-mail address, or a mobile number to log in with.")
    ]


def test_duplicate_numbers_in_the_file_are_found_as_e_mail_addresses_are():
    found = plan(
        [
            phone_row(1, "0812 3456 7001"),
            phone_row(2, "+62 812 3456 7001"),  # the same number, spelled otherwise
            trainee_row(3) | {"phone": "0812 3456 7100"},
            trainee_row(4) | {"phone": "0812 3456 7100"},  # a family's phone: both have e-mail
            phone_row(5, "0812 3456 7100"),  # would log in with the family's phone
            phone_row(6, "0812 3456 7200"),
            trainee_row(7) | {"phone": "0812 3456 7200"},  # row 7's number logs in row 6
        ]
    )
    outcome = [(r.line, r.action, errors(r)) for r in found.rows]
    assert outcome == [
        (2, "create", []),
        (3, "reject", [("phone", "The same value is on row 2.")]),
        (4, "create", []),
        (5, "create", []),
        (6, "reject", [("phone", "The same value is on row 4.")]),
        (7, "create", []),
        (8, "reject", [("phone", "The same value is on row 7.")]),
    ]


def test_an_existing_phone_trainee_is_matched_by_the_number(create_user, dummy_staff):
    known = create_user("trainee", email=False, phone="0812 3456 7001", nik=None, name="Wayan Sari")
    rows = [
        phone_row(
            1,
            "0812-3456-7001",
            name="Wayan Sari",
            nik="",
            gender="L",
            regency="Lampung Timur",
            target_group="cpmi",
        )
    ]
    found = plan(rows)
    [row] = found.rows
    assert (row.action, row.user, row.changes) == (
        "update",
        known,
        ("gender",),
    )
    services.apply_plan(found, dummy_staff)
    db.session.commit()
    assert db.session.scalars(select(User).where(User.phone == "+6281234567001")).all() == [known]
    assert welcome(known) == []  # not a new account: no welcome
    # the same file again changes nothing
    again = plan(rows)
    assert again.counts == {"create": 0, "update": 0, "unchanged": 1, "reject": 0}


def test_a_number_of_accounts_with_e_mail_identifies_none_of_them(create_user):
    create_user("trainee", phone="0812 3456 7001")
    create_user("trainee", phone="0812 3456 7001")
    [row] = plan([phone_row(1, "0812 3456 7001")]).rows
    assert row.action == "reject" and row.user is None
    assert errors(row) == [
        (
            "phone",
            "Accounts with an e-mail address use this mobile number: write the trainee's e-mail "
            "address or NIK in the row.",
        )
    ]


def test_a_phone_trainees_number_stays_their_own(create_user):
    create_user("trainee", email=False, phone="0812 3456 7001")
    [row] = plan([trainee_row(1) | {"phone": "0812 3456 7001"}]).rows
    assert errors(row) == [("phone", "An account with this mobile number already exists.")]


def test_a_phone_row_with_another_nik_is_refused(create_user):
    create_user("trainee", email=False, phone="0812 3456 7001")
    [row] = plan([phone_row(1, "0812 3456 7001")]).rows
    assert errors(row) == [("phone", "This mobile number belongs to an account with another NIK.")]


@pytest.mark.parametrize("with_nik", [False, True], ids=["without-nik", "with-her-nik"])
def test_a_relatives_row_on_a_family_phone_is_not_made_the_phone_trainee(create_user, with_nik):
    """A daughter registered with the family's phone; her mother's row gives the same number:
    the number alone never makes the row the daughter's account (as a walk-in is found by
    number *and* name), so the import does not rename her, give her her mother's NIK or put
    her mother's course and certificate on her account."""
    daughter = create_user(
        "trainee", email=False, phone="0812 3456 7001", nik=None, name="Dewi Lestari"
    )
    mother = phone_row(1, "0812 3456 7001", name="Siti Aminah")  # her NIK in the row
    [row] = plan([mother if with_nik else mother | {"nik": ""}]).rows
    assert row.action == "reject"
    assert errors(row) == [
        (
            "phone",
            "This mobile number logs in the account of Dewi Lestari, another person: a number "
            "logs in one account only. Leave it out of this row, or write the trainee's own "
            "number.",
        )
    ]
    db.session.refresh(daughter)
    assert (daughter.name, daughter.nik) == ("Dewi Lestari", None)


def test_the_phone_trainees_own_row_matches_whatever_the_case_and_spacing(create_user):
    known = create_user("trainee", email=False, phone="0812 3456 7001", name="Wayan Sari")
    [row] = plan([phone_row(1, "0812 3456 7001", name="  WAYAN   sari ", nik="")]).rows
    assert row.user == known and not row.errors


def test_the_page_lists_a_phone_row_by_its_number(client, staff):
    data = csv_bytes([phone_row(1, "0812 3456 7001"), phone_row(2, "0812 3456 7001")])
    page = post_file(client, data).get_data(as_text=True)
    section = page.split('data-testid="rows-reject"', 1)[1].split("</table>", 1)[0]
    assert "E-mail or mobile number" in section and "0812 3456 7001" in section
    assert "The same value is on row 2." in section


def test_the_column_explanations_speak_of_the_mobile_number(client, login, dummy_staff):
    login(dummy_staff)
    page = client.get("/imports/trainees", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Boleh dikosongkan bila baris berisi nomor HP." in page
    assert "Wajib diisi bila e-mail kosong" in page
    assert "SMS atau WhatsApp" in page


# --- a number registered while the file is imported -------------------------------------------


@pytest.mark.parametrize(
    ("row_email", "registered_email", "imported"),
    [
        (False, False, False),  # both would log in with the number
        (True, False, False),  # the number logs the new account in: it is its own
        (False, True, False),  # the row would log in with a number another account uses
        (True, True, True),  # a family's phone: accounts with e-mail may share it
    ],
)
def test_a_number_registered_after_the_dry_run(
    create_user, dummy_staff, row_email, registered_email, imported
):
    """The plan was read before someone registered with a number of the file: the import checks
    the numbers again once written, and refuses the file rather than leave a number that logs
    in two accounts (no unique index can hold that rule)."""
    row = trainee_row(1) | {"phone": "0812 3456 7001"}
    found = plan([row if row_email else phone_row(1, "0812 3456 7001"), trainee_row(2)])
    assert not found.rejected
    create_user("trainee", email=None if registered_email else False, phone="0812 3456 7001")
    if imported:
        services.apply_plan(found, dummy_staff)
        db.session.commit()
        assert (
            len(db.session.scalars(select(User).where(User.phone == "+6281234567001")).all()) == 2
        )
        return
    with pytest.raises(Conflict) as refused:
        services.apply_plan(found, dummy_staff)
    assert refused.value.code == "taken"
    assert str(refused.value.message) == (
        "Another account took a NIK, e-mail address or mobile number of the file meanwhile: "
        "nothing was imported. Check the file again."
    )
    db.session.rollback()
    assert len(db.session.scalars(select(User).where(User.phone == "+6281234567001")).all()) == 1
    assert db.session.scalar(select(User).where(User.email == "impor2@example.org")) is None


def test_an_import_waits_for_a_registration_of_one_of_its_numbers(app, pause_after_check):
    """A registration has checked the number and not yet committed when the import writes the
    same number: the import waits on the number's lock (taken as registration takes it) and
    then finds the number taken. Without the lock, on PostgreSQL, neither would see the other
    and both accounts would log in with one number."""
    checked, go = pause_after_check("registration")  # it has checked, and waits
    outcomes = {}

    def register():
        auth_services.create_user(email=None, password=PASSWORD, name="Wayan", phone="081234567001")

    def import_file():
        services.apply_plan(plan([phone_row(1, "0812 3456 7001")]))

    registration = in_thread(app, outcomes, "registration", register)
    assert checked.wait(10)
    importing = in_thread(app, outcomes, "import", import_file)
    importing.join(1)  # with the lock it waits for the registration
    go.set()
    registration.join(10)
    importing.join(10)
    assert outcomes == {"registration": "done", "import": "taken"}
    db.session.rollback()
    assert db.session.scalars(select(User.name).where(User.phone == "+6281234567001")).all() == [
        "Wayan"
    ]

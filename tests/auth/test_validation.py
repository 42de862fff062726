"""The identity and account rules of lms/auth/validation.py and lms/auth/services.py, without HTTP."""

import socket
from datetime import date

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from lms.auth import passwords, services, sessions
from lms.auth import validation as v
from lms.auth.models import User
from lms.errors import Conflict, InvalidInput
from lms.extensions import db
from tests.fixtures.i18n import tr
from tests.fixtures.users import PASSWORD, valid_nik

NIK_LENGTH = "The NIK must be exactly 16 digits."
NIK_STRUCTURE = "This is not a valid NIK. Please check the number on your KTP."
PHONE_MESSAGE = (
    "Enter an Indonesian mobile number, for example 0812 3456 7890 or +62 812 3456 7890."
)


def english(message):
    """A lazy message as English text."""
    with force_locale("en"):
        return str(message)


# --- NIK ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "1807011705950001",  # a man born 17 May 1995 in Lampung Timur
        "1807015705950001",  # a woman: 40 added to the day
        "1100000101000001",  # lowest province (Aceh), first day of January
        "9471013112990001",  # highest day and month
        "1807017112990001",  # a woman born on the 31st
        "1807014101000001",  # a woman born on the 1st
    ],
)
def test_nik_valid(raw):
    assert v.normalize_nik(raw) == raw


@pytest.mark.parametrize(
    "raw",
    ["1807 0157 0595 0001", "18.07.01.570595.0001", " 1807015705950001 ", "1807-0157-0595-0001"],
)
def test_nik_spaces_and_dots_are_stripped(raw):
    assert v.normalize_nik(raw) == "1807015705950001"


@pytest.mark.parametrize(
    "raw",
    [
        "",
        None,
        "180701570595000",
        "18070157059500011",
        "18070157059500ab",
        "１８０７０１５７０５９５０００１",  # full-width digits are digits to Python, not to the KTP
        "١٨٠٧٠١٥٧٠٥٩٥٠٠٠١",  # Arabic-Indic digits
    ],
)
def test_nik_must_be_16_digits(raw):
    with pytest.raises(v.ValidationFailed) as exc:
        v.normalize_nik(raw)
    assert english(exc.value.message) == NIK_LENGTH


@pytest.mark.parametrize(
    "raw, why",
    [
        ("1007011705950001", "province below 11"),
        ("0007011705950001", "province 00"),
        ("1807011700950001", "month 0"),
        ("1807011713950001", "month 13"),
        ("1807010005950001", "day 0"),
        ("1807013205950001", "day 32"),
        ("1807014005950001", "day 40 (neither a man's nor a woman's)"),
        ("1807017205950001", "day 72 (a woman's day above 31)"),
        ("1807011705950000", "serial 0000"),
    ],
)
def test_nik_structure_is_checked(raw, why):
    with pytest.raises(v.ValidationFailed) as exc:
        v.normalize_nik(raw)
    assert english(exc.value.message) == NIK_STRUCTURE, why


# --- phone --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "081234567890",
        "0812 3456 7890",
        "0812-3456-7890",
        "6281234567890",
        "62 812 3456 7890",
        "+6281234567890",
        "+62 812-3456-7890",
        "(0812) 3456.7890",
    ],
)
def test_phone_is_normalised_to_plus_62(raw):
    assert v.normalize_phone(raw) == "+6281234567890"


@pytest.mark.parametrize(
    "raw, expected",
    [("0812345678", "+62812345678"), ("0812345678901", "+62812345678901")],
)
def test_phone_length_bounds(raw, expected):
    assert v.normalize_phone(raw) == expected


@pytest.mark.parametrize(
    "raw, why",
    [
        ("021 5551234", "Jakarta landline"),
        ("(0721) 481234", "Bandar Lampung landline"),
        ("+62 21 5551234", "landline with country code"),
        ("08123", "too short"),
        ("081234567", "one digit short"),
        ("08123456789012", "one digit too long"),
        ("0812 abcd 7890", "letters"),
        ("0812３４５６７８９０", "full-width digits"),
        ("0812²3456789", "a superscript two"),
        ("812345678901", "no prefix"),
        ("+1 812 345 6789", "another country"),
        ("", "empty"),
        (None, "missing"),
    ],
)
def test_phone_rejects(raw, why):
    with pytest.raises(v.ValidationFailed) as exc:
        v.normalize_phone(raw)
    assert english(exc.value.message) == PHONE_MESSAGE, why


# --- e-mail -------------------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch):
    """Fail loudly if anything tries to reach a resolver or any other host."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access during e-mail validation")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "gethostbyname", refuse)
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("siti@example.org", "siti@example.org"),
        ("  Siti.Rahma@Desa-Sukamaju.co.id ", "siti.rahma@desa-sukamaju.co.id"),
        # a domain that surely has no mail server: syntax is all that is checked
        ("budi@tidak-ada-server-surat-xyz.co.id", "budi@tidak-ada-server-surat-xyz.co.id"),
    ],
)
def test_email_syntax_only_and_lower_cased(no_network, raw, expected):
    assert v.normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", None, "siti", "siti@", "@example.org", "siti@@example.org", "siti @example.org"]
)
def test_email_rejects_bad_syntax(no_network, raw):
    with pytest.raises(v.ValidationFailed) as exc:
        v.normalize_email(raw)
    assert english(exc.value.message) == "This is not a valid e-mail address."


# --- passwords ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password", [PASSWORD, "latih-demo-2026", "kopi-Lampung-2", "Tanggamus2024", "gajah Way Kambas"]
)
def test_password_accepted(password):
    v.check_password(password)


@pytest.mark.parametrize("password", ["", None, "Ab1!", "kopi-12"])
def test_password_too_short(password):
    with pytest.raises(v.ValidationFailed) as exc:
        v.check_password(password)
    assert english(exc.value.message) == "The password must have at least 8 characters."


def test_password_minimum_follows_config(app, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_MIN_LENGTH", 12)
    v.check_password("Kambas-kopi9")  # 12: fine
    with pytest.raises(v.ValidationFailed) as exc:
        v.check_password("Kambas-kopi")  # 11: too short
    assert english(exc.value.message) == "The password must have at least 12 characters."


def easy(why):
    """The English refusal of a password that is too easy to guess, for ``why``."""
    return english(passwords.REASONS[why])


@pytest.mark.parametrize(
    "password, why",
    [
        ("password123", "passwords"),
        ("Password1", "passwords"),  # whatever the case
        ("qwertyuiop", "passwords"),
        ("abc12345", "passwords"),
        ("a1b2c3d4", "passwords"),
        ("bismillah", "indonesian"),
        ("Sayang2025", "indonesian"),
        ("merdeka45!", "indonesian"),
        ("kopi-lampung", "indonesian"),
        ("98765432107", "sequence"),
        ("20240817", "date"),
        ("abababab", "repeat"),
        ("zxcvbnm,./", "spatial"),
    ],
)
def test_password_too_easy(password, why):
    with pytest.raises(v.ValidationFailed) as exc:
        v.check_password(password)
    assert english(exc.value.message) == easy(why)


def test_password_refusals_are_in_the_users_language():
    with pytest.raises(v.ValidationFailed) as exc:
        v.check_password("password123")
    with force_locale("id"):
        indonesian = str(exc.value.message)
    assert indonesian == tr(easy("passwords"), "id")
    assert "common" not in indonesian and "guess" not in indonesian


PERSON = {
    "email": "siti.rahma@example.org",
    "name": "Siti Rahmawati",
    "nik": "1807015705950001",
    "phone": "+6281234567890",
    "birth_date": date(1995, 5, 17),
}


@pytest.mark.parametrize(
    "password",
    ["Rahmawati17", "siti.rahma#1", "081234567890ab", "1807015705950001", "Siti17051995"],
)
def test_a_password_built_on_the_own_data_is_refused(password):
    v.check_password(password)  # a stranger's password: strong enough
    with pytest.raises(v.ValidationFailed) as exc:
        v.check_password(password, passwords.personal_inputs(**PERSON))
    assert english(exc.value.message) == easy("personal")


def test_the_own_data_is_checked_at_registration_and_change(create_user):
    with pytest.raises(InvalidInput) as exc:
        services.create_user(password="Rahmawati17", role="trainee", **PERSON)
    assert [english(m) for m in exc.value.fields["password"]] == [easy("personal")]
    user = create_user("trainee", name="Dewi Anggraini", phone="0813 5555 7777")
    with pytest.raises(InvalidInput) as exc:
        services.change_password(user, "Anggraini-555")
    assert [english(m) for m in exc.value.fields["password"]] == [easy("personal")]


def test_the_minimum_score_follows_config(app, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_MIN_SCORE", 4)
    with pytest.raises(v.ValidationFailed):
        v.check_password("kopi-Lampung-2")  # a 3
    monkeypatch.setitem(app.config, "PASSWORD_MIN_SCORE", 0)
    v.check_password("password123")


# --- birth date ---------------------------------------------------------------------------------

TODAY = date(2026, 6, 15)


@pytest.mark.parametrize(
    "born", [date(2011, 6, 15), date(1995, 5, 17), date(1946, 6, 16), date(2000, 2, 29)]
)
def test_birth_date_accepted(born):
    v.check_birth_date(born, today=TODAY)


@pytest.mark.parametrize(
    "born, why",
    [
        (date(2026, 6, 16), "tomorrow"),
        (date(2026, 6, 15), "today"),
        (date(2011, 6, 16), "15 tomorrow"),
        (date(1945, 6, 15), "81 today"),
        (date(1900, 1, 1), "far too old"),
    ],
)
def test_birth_date_rejected(born, why):
    with pytest.raises(v.ValidationFailed) as exc:
        v.check_birth_date(born, today=TODAY)
    assert english(exc.value.message) == "Please check the birth date.", why


# --- services: create_user and update_profile ---------------------------------------------------


def _profile(n=1, **kw):
    data = {
        "nik": valid_nik(n),
        "birth_date": date(1995, 5, 17),
        "gender": "female",
        "phone": "0812 3456 7890",
        "regency_code": "18.07",
        "target_group": "cpmi",
    }
    return {**data, **kw}


def _count_users():
    return db.session.scalar(select(func.count(User.id)))


def test_create_user_normalises(app):
    user = services.create_user(
        email=" Siti@Example.ORG ",
        password=PASSWORD,
        name="  Siti   Rahmawati ",
        nik="1807 0157 0595 0001",
        **{k: val for k, val in _profile().items() if k != "nik"},
    )
    db.session.commit()
    assert user.email == "siti@example.org"
    assert user.name == "Siti Rahmawati"
    assert user.nik == "1807015705950001"
    assert user.phone == "+6281234567890"
    assert user.role == "trainee"
    assert user.password_hash != PASSWORD
    assert services.authenticate("SITI@example.org", PASSWORD) == user


def test_create_user_collects_every_field_error(app):
    with pytest.raises(InvalidInput) as exc:
        services.create_user(
            email="not-an-address",
            password="12345678",
            name="X",
            nik="123",
            birth_date=date(2020, 1, 1),
            gender="other",
            phone="021 5551234",
            regency_code="31.71",
            target_group="tourist",
        )
    assert set(exc.value.fields) == {
        "email",
        "password",
        "name",
        "nik",
        "birth_date",
        "gender",
        "phone",
        "regency_code",
        "target_group",
    }
    assert _count_users() == 0


def test_trainer_needs_an_existing_partner(app):
    with pytest.raises(InvalidInput) as exc:
        services.create_user(email="t@example.org", password=PASSWORD, name="Tri", role="trainer")
    assert "partner_id" in exc.value.fields
    with pytest.raises(InvalidInput) as exc:
        services.create_user(
            email="t@example.org", password=PASSWORD, name="Tri", role="trainer", partner_id=999
        )
    assert "partner_id" in exc.value.fields


def test_unknown_role_is_refused(app):
    with pytest.raises(InvalidInput) as exc:
        services.create_user(email="r@example.org", password=PASSWORD, name="Root", role="root")
    assert "role" in exc.value.fields


def test_email_is_unique_whatever_the_case(create_user):
    create_user("staff", email="rina@example.org")
    with pytest.raises(Conflict) as exc:
        services.create_user(email="RINA@Example.org", password=PASSWORD, name="Rina Lain")
    assert exc.value.code == "taken"
    assert set(exc.value.fields) == {"email"}
    assert _count_users() == 1


def test_nik_is_unique_whatever_the_spelling(create_user):
    create_user("trainee", nik="1807015705950001")
    with pytest.raises(Conflict) as exc:
        services.create_user(
            email="other@example.org",
            password=PASSWORD,
            name="Orang Lain",
            **_profile(nik="1807.0157.0595.0001"),
        )
    assert exc.value.code == "taken"
    assert set(exc.value.fields) == {"nik"}
    assert _count_users() == 1


def test_update_profile_keeps_own_nik_but_refuses_anothers(create_user):
    mine = create_user("trainee", nik="1807015705950001")
    create_user("trainee", nik="1807015705950002")
    services.update_profile(mine, {"nik": "1807015705950001", "phone": "+62 813 1111 2222"})
    assert mine.phone == "+6281311112222"
    with pytest.raises(Conflict) as exc:
        services.update_profile(mine, {"nik": "1807 0157 0595 0002"})
    assert set(exc.value.fields) == {"nik"}


def test_update_profile_validates(create_user):
    user = create_user("trainee")
    with pytest.raises(InvalidInput) as exc:
        services.update_profile(user, {"nik": "1807011713950001", "phone": "12"})
    assert set(exc.value.fields) == {"nik", "phone"}


def test_authenticate(create_user):
    user = create_user("trainee", email="ani@example.org")
    assert services.authenticate("ani@example.org", PASSWORD) == user
    assert user.last_login_at is not None
    assert services.authenticate("ani@example.org", "wrong-password") is None
    assert services.authenticate("nobody@example.org", PASSWORD) is None
    assert services.authenticate(None, None) is None
    user.active = False
    db.session.commit()
    assert services.authenticate("ani@example.org", PASSWORD) is None


def test_change_password_refuses_weak_and_ends_the_login_sessions(create_user):
    user = create_user("trainee")
    token = sessions.start(user)
    with pytest.raises(InvalidInput) as exc:
        services.change_password(user, "password1")
    assert "password" in exc.value.fields
    assert sessions.load(token) == user
    services.change_password(user, "kopi-lampung-2")
    assert sessions.load(token) is None
    assert services.authenticate(user.email, "kopi-lampung-2") == user


def test_reset_token_is_single_use(create_user):
    user = create_user("trainee")
    token = services.make_reset_token(user)
    assert services.user_for_reset_token(token) == user
    assert services.user_for_reset_token(token + "x") is None
    services.reset_password(token, "kopi-lampung-2")
    assert services.user_for_reset_token(token) is None
    with pytest.raises(InvalidInput):
        services.reset_password(token, "kopi-lampung-3")

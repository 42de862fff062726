"""Accounts in a real browser on a 360 px phone: register, log in and out, language, password reset."""

import re

import pytest
from flask import current_app
from playwright.sync_api import expect
from sqlalchemy import select

from lms.auth.models import User
from lms.outbox.models import OutboxMessage
from tests.fixtures.browser import PHONE, checked, fill_registration, open_menu, submit_login
from tests.fixtures.i18n import tr
from tests.fixtures.users import PASSWORD

pytestmark = pytest.mark.browser

EMAIL = "siti.rahma@example.org"
NAME = "Siti Rahmawati"
NIK = "1807015705950001"  # Lampung Timur, a woman born on 17 May 1995
PHONE_NUMBER = "0812 3456 7890"
NEW_PASSWORD = "Baru-sandi-2026"
RESET_LINK_RE = re.compile(r"https?://\S+/password/reset/\S+")


def fresh(db):
    """Forget what the test's session read, so the next query sees the live server's commits."""
    db.session.expire_all()


def navbar(page):
    return page.locator("#mainnav")


def log_out(page, label):
    open_menu(page)
    navbar(page).get_by_role("button", name=label, exact=True).click()
    checked(page, "/")
    open_menu(page)
    expect(navbar(page).get_by_test_id("profile-link")).to_have_count(0)


def field_group(page, field_id):
    """The block of one form field: its label, input, help text and error messages."""
    return page.locator("main form div.mb-3", has=page.locator(f"#{field_id}"))


def test_trainee_registers_logs_in_switches_language_and_resets_password(db, new_page):
    page = new_page(viewport=PHONE, locale="id")

    # the home page, in Indonesian by default
    page.goto("/")
    checked(page)
    expect(page.locator("html")).to_have_attribute("lang", "id")
    hero = page.locator("main")
    expect(hero.get_by_role("link", name="Daftar", exact=True)).to_be_visible()
    expect(hero.get_by_role("link", name="Masuk", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        tr("Free training for working abroad", "id")
    )
    # the navbar collapses behind the toggler on a phone
    expect(navbar(page)).to_be_hidden()
    open_menu(page)
    expect(navbar(page).get_by_role("link", name="Daftar", exact=True)).to_be_visible()
    checked(page)

    # register through the form, every field filled
    hero.get_by_role("link", name="Daftar", exact=True).click()
    checked(page, "/register")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_role("heading", level=1)).to_have_text(tr("Create an account", "id"))
    fill_registration(page, EMAIL, NAME, NIK, PHONE_NUMBER)
    checked(page)
    page.locator("main form #submit").click()

    # landed on the home page, logged in
    checked(page, "/")
    expect(page.locator(".alert-success")).to_contain_text(
        tr("Your account is ready. Welcome to Latih!", "id")
    )
    expect(page.get_by_test_id("hello")).to_have_text(tr("Hello, %(name)s", "id", name=NAME))
    open_menu(page)
    expect(navbar(page).get_by_test_id("profile-link")).to_contain_text(NAME)
    fresh(db)
    user = db.session.scalars(select(User).where(User.email == EMAIL)).one()
    assert (user.role, user.nik, user.phone) == ("trainee", NIK, "+6281234567890")
    assert (user.gender, user.regency_code, user.target_group) == ("female", "18.07", "cpmi")
    assert user.birth_date.isoformat() == "1995-05-17"
    assert user.locale == "id"
    assert user.profile_complete

    # log out, then log in again
    log_out(page, "Keluar")
    expect(page.locator(".alert-info")).to_contain_text(tr("You have logged out.", "id"))
    navbar(page).get_by_role("link", name="Masuk", exact=True).click()
    checked(page, "/login")
    submit_login(page, EMAIL, PASSWORD)
    checked(page, "/")
    expect(page.get_by_test_id("hello")).to_contain_text(NAME)

    # switch to English with the ID/EN switch in the (collapsed) navbar
    open_menu(page)
    switch = navbar(page).locator(".lang-switch")
    expect(switch.locator("button[value=id]")).to_have_attribute("aria-pressed", "true")
    with page.expect_navigation():
        switch.locator("button[value=en]").click()
    checked(page, "/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("hello")).to_have_text(f"Hello, {NAME}")
    open_menu(page)
    expect(navbar(page).get_by_role("button", name="Log out", exact=True)).to_be_visible()
    expect(navbar(page).locator(".lang-switch button[value=en]")).to_have_attribute(
        "aria-pressed", "true"
    )
    fresh(db)
    assert db.session.scalars(select(User.locale).where(User.email == EMAIL)).one() == "en"

    # log out: the choice stays (cookie), the site speaks English
    log_out(page, "Log out")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(navbar(page).get_by_role("link", name="Register", exact=True)).to_be_visible()

    # forgotten password: ask for a link
    navbar(page).get_by_role("link", name="Log in", exact=True).click()
    checked(page, "/login")
    page.get_by_role("link", name="Forgot your password?").click()
    checked(page, "/password/forgot")
    page.fill("#email", EMAIL)
    page.locator("main form #submit").click()
    checked(page, "/login")
    expect(page.locator(".alert-info")).to_contain_text(
        "If an account uses this address, we have sent it a link"
    )

    # the message waits in the outbox, written in the user's language
    fresh(db)
    message = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.recipient == EMAIL, OutboxMessage.kind == "password_reset"
        )
    ).one()
    assert message.locale == "en"
    assert message.subject == "Set a new password for Latih"
    links = RESET_LINK_RE.findall(message.body)
    assert len(links) == 1, message.body
    # the link is on the site's public address (PUBLIC_BASE_URL), never the Host of a request
    public = current_app.config["PUBLIC_BASE_URL"]
    assert links[0].startswith(public + "/password/reset/")

    # open the link (here the public address is the live server), set a new password
    link = page.url.split("/login")[0] + links[0].removeprefix(public)
    page.goto(link)
    checked(page, "/password/reset/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Set a new password")
    page.fill("#password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    page.locator("main form #submit").click()
    checked(page, "/login")
    expect(page.locator(".alert-success")).to_contain_text("Your password is changed.")

    # the old password no longer works, the new one does
    submit_login(page, EMAIL, PASSWORD)
    expect(field_group(page, "password").locator(".invalid-feedback")).to_have_text(
        "The e-mail or the password is wrong."
    )
    checked(page)
    submit_login(page, EMAIL, NEW_PASSWORD)
    checked(page, "/")
    expect(page.get_by_test_id("hello")).to_have_text(f"Hello, {NAME}")

    # the link was used up
    page.goto(link)
    checked(page, "/password/reset/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This reset link is invalid, has expired or was already used. Ask for a new one."
    )


def test_wrong_password_shows_the_error_next_to_the_field(dummy_trainee, new_page):
    page = new_page(viewport=PHONE, locale="id")
    page.goto("/login")
    checked(page)
    expect(page.locator("html")).to_have_attribute("lang", "id")
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        submit_login(page, dummy_trainee.email, "salah-sandi-123")
    assert response.value.status == 400
    checked(page, "/login")
    group = field_group(page, "password")
    expect(group.locator("#password")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(group.locator(".invalid-feedback")).to_be_visible()
    expect(group.locator(".invalid-feedback")).to_have_text(
        tr("The e-mail or the password is wrong.", "id")
    )
    # the address is kept, the password is not, and nobody is logged in
    expect(page.locator("#email")).to_have_value(dummy_trainee.email)
    expect(page.locator("#password")).to_have_value("")
    expect(page.get_by_test_id("profile-link")).to_have_count(0)


def test_registration_errors_show_next_to_the_field(db, new_page):
    page = new_page(viewport=PHONE, locale="id")
    page.goto("/register")
    fill_registration(page, EMAIL, NAME, "1807 0157 0595", PHONE_NUMBER)
    with page.expect_response(lambda r: r.request.method == "POST") as response:
        page.locator("main form #submit").click()
    assert response.value.status == 400
    checked(page, "/register")

    nik = field_group(page, "nik")
    expect(nik.locator("#nik")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(nik.locator(".invalid-feedback")).to_be_visible()
    expect(nik.locator(".invalid-feedback")).to_have_text(
        tr("The NIK must be exactly 16 digits.", "id")
    )
    # only the NIK is marked; what was typed is kept (but the passwords)
    expect(page.locator("main form .is-invalid")).to_have_count(1)
    expect(page.locator("#name")).to_have_value(NAME)
    expect(page.locator("#nik")).to_have_value("1807 0157 0595")
    expect(page.locator("#regency_code")).to_have_value("18.07")
    expect(page.locator("input[name=gender][value=female]")).to_be_checked()

    # a NIK of 16 digits that cannot exist (no province 00) is refused as well
    page.fill("#password", PASSWORD)
    page.fill("#confirm", PASSWORD)
    page.fill("#nik", "0007015705950001")
    page.locator("main form #submit").click()
    checked(page, "/register")
    expect(field_group(page, "nik").locator(".invalid-feedback")).to_have_text(
        tr("This is not a valid NIK. Please check the number on your KTP.", "id")
    )
    fresh(db)
    assert db.session.scalar(select(User.id).where(User.email == EMAIL)) is None

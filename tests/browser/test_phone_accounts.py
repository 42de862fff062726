"""A trainee without e-mail, in a real browser on a 360 px phone: registers with a mobile number,
logs in with it, and sets a new password with a code that reaches the phone by SMS (a local fake
gateway)."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.auth.models import User
from lms.outbox import services as outbox
from tests.fixtures.browser import PHONE, checked, fill_registration, open_menu, submit_login
from tests.fixtures.i18n import tr
from tests.fixtures.users import PASSWORD

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Baru-sandi-2026"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_a_trainee_without_email_registers_logs_in_and_resets_by_sms(
    db, new_page, sms_gateway, lang
):
    page = new_page(viewport=PHONE, locale=lang)
    page.goto("/register")
    checked(page, "/register")
    fill_registration(page, "", "Wayan Sari", "1807015705950001", "0812 3456 7890")
    expect(page.locator("#preferred_channel option")).to_have_text(
        [tr("Choose...", lang), "SMS"]  # only the channel that is on
    )
    page.select_option("#preferred_channel", value="sms")
    page.locator("main form #submit").click()
    checked(page, "/")
    db.session.expire_all()
    user = db.session.scalars(select(User).where(User.phone == "+6281234567890")).one()
    assert user.email is None and user.preferred_channel == "sms"

    # log out, log in with the phone number as it is usually written
    open_menu(page)
    page.locator("#mainnav").get_by_role("button", name=tr("Log out", lang), exact=True).click()
    checked(page, "/")
    page.goto("/login")
    submit_login(page, "0812-3456-7890", PASSWORD)
    checked(page, "/")
    open_menu(page)
    expect(page.get_by_test_id("profile-link")).to_contain_text("Wayan Sari")
    page.locator("#mainnav").get_by_role("button", name=tr("Log out", lang), exact=True).click()
    checked(page, "/")

    # forgot the password: the code comes by SMS
    page.goto("/login")
    page.get_by_role("link", name=tr("Forgot your password?", lang)).click()
    checked(page, "/password/forgot")
    page.fill("#email", "0812 3456 7890")
    page.locator("main form #submit").click()
    checked(page, "/password/code")
    expect(page.locator("#phone")).to_have_value("+6281234567890")
    assert outbox.deliver_pending() == 1
    [sms] = sms_gateway.bodies
    assert sms["to"] == "+6281234567890"
    code = re.search(r"\b(\d{6})\b", sms["text"]).group(1)

    page.fill("#code", code)
    page.fill("#password", NEW_PASSWORD)
    page.fill("#confirm", NEW_PASSWORD)
    page.locator("main form #submit").click()
    checked(page, "/login")
    expect(page.locator(".alert-success")).to_contain_text(
        tr("Your password is changed. Log in with the new one.", lang)
    )
    submit_login(page, "+62 812 3456 7890", NEW_PASSWORD)
    checked(page, "/")

"""Outreach events and school classes: partner kinds, the two course types, people reached, the
annual report's outreach section (issue 16)."""

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.partners.models import Partner
from tests.fixtures.i18n import tr

NEW_KINDS = ["school", "religious_organisation", "local_government", "community"]


@pytest.fixture
def staff(create_user):
    return create_user("staff")


# --- partner kinds -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", NEW_KINDS)
def test_new_partner_kinds_need_no_mou(client, api_headers, staff, kind):
    response = client.post(
        "/api/v1/partners",
        json={"name": f"Mitra {kind}", "kind": kind},
        headers=api_headers(staff, "id"),
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["kind"] == kind and body["mou_number"] is None
    assert body["kind_label"] != kind and body["kind_label"]
    assert db.session.scalar(select(Partner.kind).where(Partner.id == body["id"])) == kind


def test_new_partner_kinds_are_labelled_in_both_languages(client, create_partner):
    create_partner(name="PWNU Lampung", kind="religious_organisation")
    english = client.get("/api/v1/partners", headers={"Accept-Language": "en"}).get_json()
    indonesian = client.get("/api/v1/partners", headers={"Accept-Language": "id"}).get_json()
    assert english["items"][0]["kind_label"] == "Religious organisation"
    assert indonesian["items"][0]["kind_label"] == tr("Religious organisation")


def test_partner_form_offers_the_new_kinds(client, login, staff):
    login(staff)
    page = client.get("/partners/new").get_data(as_text=True)
    for kind in NEW_KINDS:
        assert f'value="{kind}"' in page

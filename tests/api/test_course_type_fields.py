"""GET /api/v1/course-types says what the outreach type's regency field holds: the code of a
regency from GET /api/v1/regencies, while people choose the regency by its name."""


def _regency_field(client, lang):
    types = client.get("/api/v1/course-types", headers={"Accept-Language": lang}).get_json()
    outreach = next(t for t in types if t["key"] == "outreach")
    return next(f for f in outreach["fields"] if f["name"] == "regency")


def test_the_regency_field_says_it_keeps_a_code_chosen_by_name(client):
    field = _regency_field(client, "en")
    assert field["type"] == "string" and field["required"] is True
    assert field["description"] == (
        "The regency or city, chosen by its name from the list of regencies; the course keeps "
        "its code (e.g. 18.07 for Lampung Timur)."
    )
    codes = {r["code"] for r in client.get("/api/v1/regencies").get_json()}
    assert "18.07" in codes  # the example is a real code of the list


def test_the_description_speaks_the_requests_language(client):
    field = _regency_field(client, "id")
    assert field["description"].startswith("Kabupaten atau kota, dipilih menurut namanya")
    assert "18.07" in field["description"]


def test_a_field_without_a_description_has_none(client):
    types = client.get("/api/v1/course-types").get_json()
    outreach = next(t for t in types if t["key"] == "outreach")
    venue = next(f for f in outreach["fields"] if f["name"] == "venue")
    assert "description" not in venue

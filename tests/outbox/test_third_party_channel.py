"""A channel packaged separately and registered through the ``lms.channels`` entry-point group
works everywhere (registration choice, delivery, fallback, the staff pages) with no change to
lms/, as a sixth course type does."""

import importlib
import sys
import textwrap

import pytest

from lms.auth import services as auth_services
from lms.auth.models import User
from lms.extensions import db
from lms.outbox import services as outbox
from lms.outbox.models import OutboxMessage
from tests.fixtures.users import PASSWORD, log_in, valid_nik

EN = {"Accept-Language": "en"}

PLUGIN = """
import json
import urllib.request

from lms.outbox.channels import Channel, DeliveryFailed


class PigeonChannel(Channel):
    key = "pigeon"
    labels = {"id": "Merpati Pos", "en": "Carrier pigeon"}
    order = 5

    @classmethod
    def configured(cls, config):
        return bool(config.get("PIGEON_URL"))

    @classmethod
    def address(cls, user):
        return user.phone

    def send(self, message, address):
        if address.endswith("0000"):
            raise DeliveryFailed("the pigeon does not know this village", retryable=False)
        request = urllib.request.Request(
            self.config["PIGEON_URL"],
            data=json.dumps({"to": address, "text": message.text}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(request, timeout=5).close()
"""


@pytest.fixture
def pigeon_app(tmp_path, monkeypatch, make_app):
    """An app built after ``latih_pigeon``, declaring the ``pigeon`` channel, was installed."""
    package = tmp_path / "latih_pigeon"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent(PLUGIN))
    dist = tmp_path / "latih_pigeon-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: latih-pigeon\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[lms.channels]\npigeon = latih_pigeon:PigeonChannel\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield make_app
    sys.modules.pop("latih_pigeon", None)


def test_the_channel_is_registered_first_in_its_order(pigeon_app):
    app = pigeon_app()
    assert list(app.extensions["channels"]) == ["pigeon", "email", "whatsapp", "sms"]


def test_a_trainee_chooses_it_and_receives_messages_through_it(
    pigeon_app, sms_gateway, create_user
):
    from tests.fixtures.gateways import FakeGateway

    staff = create_user("staff")
    with FakeGateway() as loft:
        app = pigeon_app(
            PIGEON_URL=f"{loft.url}/fly",
            SMS_URL=sms_gateway.url + "/send",
            SMS_TOKEN="t",
        )
        client = app.test_client()
        form = client.get("/register", headers=EN).get_data(as_text=True)
        assert '<option value="pigeon">Carrier pigeon</option>' in form
        response = client.post(
            "/register",
            data={
                "password": PASSWORD,
                "confirm": PASSWORD,
                "name": "Made Wirawan",
                "nik": valid_nik(4321),
                "birth_date": "1995-05-17",
                "gender": "male",
                "phone": "0812 1111 2222",
                "preferred_channel": "pigeon",
                "regency_code": "18.07",
                "target_group": "cpmi",
                "consent": "y",
            },
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        with app.app_context():
            user = db.session.scalar(db.select(User).where(User.phone == "+6281211112222"))
            assert user.email is None and user.preferred_channel == "pigeon"
            outbox.queue(user, "password_code", "emails/password_code", code="424242", minutes=15)
            # a second trainee whose village the pigeon does not know: SMS takes over
            other = auth_services.create_user(
                email=None,
                password=PASSWORD,
                name="Ketut",
                phone="081299990000",
                preferred_channel="pigeon",
            )
            outbox.queue(other, "password_code", "emails/password_code", code="111111", minutes=15)
            db.session.commit()
            assert outbox.deliver_pending() == 2
            channels = dict(
                db.session.execute(db.select(OutboxMessage.recipient, OutboxMessage.channel)).all()
            )
        assert channels == {"+6281211112222": "pigeon", "+6281299990000": "sms"}
        assert [body["to"] for body in loft.bodies] == ["+6281211112222"]
        assert "424242" in loft.bodies[0]["text"]
        assert len(sms_gateway.requests) == 1

        staff_client = log_in(app.test_client(), staff)
        page = staff_client.get("/outbox/", headers=EN).get_data(as_text=True)
        assert "Carrier pigeon" in page
        indonesian = staff_client.get("/outbox/", headers={"Accept-Language": "id"})
        assert "Merpati Pos" in indonesian.get_data(as_text=True)


def test_a_plugin_that_is_not_a_channel_stops_the_app(tmp_path, monkeypatch, pigeon_app):
    (tmp_path / "latih_pigeon-1.0.dist-info" / "entry_points.txt").write_text(
        "[lms.channels]\npigeon = latih_pigeon:json\n"
    )
    with pytest.raises(RuntimeError, match="not a Channel class"):
        pigeon_app()


def test_a_plugin_key_that_differs_from_its_name_stops_the_app(tmp_path, pigeon_app):
    (tmp_path / "latih_pigeon-1.0.dist-info" / "entry_points.txt").write_text(
        "[lms.channels]\ndove = latih_pigeon:PigeonChannel\n"
    )
    with pytest.raises(RuntimeError, match="loads channel 'pigeon'"):
        pigeon_app()


def test_no_channel_at_all_stops_the_app(app):
    from lms.outbox import registry

    with pytest.raises(RuntimeError, match="pip install -e"):
        registry.init_app(app, eps=[])


def test_a_channel_that_leaves_out_send_stops_the_app(app):
    from types import SimpleNamespace

    from lms.outbox import registry
    from lms.outbox.channels import Channel

    class Mute(Channel):
        key = "mute"
        labels = {"id": "Bisu", "en": "Mute"}

        @classmethod
        def configured(cls, config):
            return True

        @classmethod
        def address(cls, user):
            return user.phone

    entry = SimpleNamespace(name="mute", load=lambda: Mute)
    with pytest.raises(RuntimeError, match=r"does not implement \['send'\]"):
        registry.init_app(app, eps=[entry])

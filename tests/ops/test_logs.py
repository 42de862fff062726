"""Logs: one JSON object per line, each with the request id (X-Request-ID taken in and sent
back), and never a NIK, a password, a token, a reset link, an e-mail address or a phone number."""

import io
import json
import logging

from flask import g
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from lms.core import logs

NIK = "1807015705950001"
TOKEN = "IjQyIg.Z1x2Yw.q8Yb3nLk0v9Jm2c4Xr7Ts5Wd1Ue"


def test_every_response_carries_a_request_id(client):
    made = client.get("/healthz").headers["X-Request-ID"]
    assert len(made) == 32 and made.isalnum()
    assert client.get("/healthz").headers["X-Request-ID"] != made
    given = client.get("/healthz", headers={"X-Request-ID": "nginx-abc-123"})
    assert given.headers["X-Request-ID"] == "nginx-abc-123"
    for bad in ("short", "spaces are not ok here", "x" * 65, "<script>alert(1)</script>"):
        answered = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert answered != bad and len(answered) == 32


def test_scrub_masks_what_must_not_be_logged():
    line = logs.scrub(
        f"GET /password/reset/{TOKEN} nik={NIK} password=rahasia123 "
        f"Authorization: Bearer abc.def-ghi token={TOKEN} from siti@contoh.id "
        "http://latih.example/password/reset/abc SMS to +62 812-3456-7890, 081234567890"
    )
    for secret in (TOKEN, NIK, "rahasia123", "abc.def-ghi", "siti@contoh.id", "reset/abc"):
        assert secret not in line
    assert "812" not in line and "3456" not in line
    assert "/password/reset/[token]" in line and "[nik]" in line and "[email]" in line
    assert line.count("[phone]") == 2
    # a line whose only secret is a phone number is masked too, in every spelling
    for phone in ("081234567890", "+62 812-3456-7890", "6281234567890", "0812 3456 7890"):
        assert logs.scrub(f"SMS sent to {phone}") == "SMS sent to [phone]"
    # dates, times, durations and ids are not phone numbers
    kept = "2026-12-06 08:00 took 0.812345 s, course 81234, user 0812"
    assert logs.scrub(kept) == kept
    # what a log line needs stays
    assert logs.scrub("POST /imports/trainees 303") == "POST /imports/trainees 303"


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "password",
                "PassWD",
                "Bearer ",
                "token=",
                "api_key:",
                "/password/reset/",
                "@",
                "a@b.id",
                "secret",
                "+62",
                "0812",
                "3456",
                "1",
                "9",
                "ſ",
                "K",
                "-",
                "_",
                ".",
                " ",
                "=",
                '"',
                "x",
                "Z",
            ]
        )
        | st.text(max_size=40),
        max_size=30,
    ).map("".join)
)
def test_scrub_returns_a_text_as_every_mask_would(text):
    """A text the quick search finds nothing in is returned as it is: every mask must agree."""
    masked = text
    for pattern, replacement in logs._MASKS:
        masked = pattern.sub(replacement, masked)
    assert logs.scrub(text) == masked


def test_a_log_line_is_one_json_object_with_the_request_id(app):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("lms.test-logs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with app.test_request_context():
            g.request_id = "req-12345678"
            logger.info("reset link for %s sent to %s", f"/password/reset/{TOKEN}", NIK)
            try:
                raise ValueError(f"bad NIK {NIK}")
            except ValueError:
                logger.exception("failed", extra={"job_id": 7, "who": "siti@contoh.id"})
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2  # the traceback stays inside its line
    first, second = (json.loads(line) for line in lines)
    assert first["request_id"] == second["request_id"] == "req-12345678"
    assert first["level"] == "info" and first["logger"] == "lms.test-logs"
    assert second["job_id"] == 7 and "ValueError" in second["error"]
    text = stream.getvalue()
    assert TOKEN not in text and NIK not in text and "siti@contoh.id" not in text


def test_each_request_is_logged_with_its_id_and_a_masked_path(client, caplog):
    with caplog.at_level(logging.INFO, logger="lms.request"):
        response = client.get(f"/password/reset/{TOKEN}", headers={"X-Request-ID": "abcdef-1234"})
    records = [r for r in caplog.records if r.name == "lms.request"]
    assert records, "no request line"
    record = records[-1]
    assert record.path == "/password/reset/[token]"
    assert record.status == response.status_code
    line = logs.JsonFormatter().format(record)
    entry = json.loads(line)
    assert TOKEN not in line
    assert entry["endpoint"] and entry["duration_ms"] >= 0


def test_a_message_delivery_is_logged_with_the_id_of_the_request_that_wrote_it(
    app, client, smtp, dummy_trainee, caplog
):
    from lms.extensions import db
    from lms.outbox import services as outbox
    from lms.outbox.models import OutboxMessage

    email = dummy_trainee.email
    response = client.post(
        "/password/forgot", data={"email": email}, headers={"X-Request-ID": "forgot-req-0001"}
    )
    assert response.status_code < 400
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.request_id == "forgot-req-0001"
    smtp.busy = {email}  # the first try fails for now; the next succeeds
    with caplog.at_level(logging.INFO, logger="lms.outbox.services"):
        assert outbox.deliver_pending() == 0
        smtp.busy = set()
        db.session.execute(update(OutboxMessage).values(next_attempt_at=None))
        db.session.commit()
        assert outbox.deliver_pending() == 1
    records = [r for r in caplog.records if r.name == "lms.outbox.services"]
    assert [r.outcome for r in records] == ["retry", "sent"]
    lines = [json.loads(logs.JsonFormatter().format(r)) for r in records]
    for line in lines:
        assert line["request_id"] == "forgot-req-0001"
        assert line["message_id"] == message.id and line["channel"] == "email"
    assert email not in caplog.text and "/password/reset/" not in caplog.text

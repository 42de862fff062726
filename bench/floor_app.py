"""The floor: the least a Flask app can do to serve a catalogue page of 50 courses, and to enrol.

A bare Flask app (no extension, no ORM, no session, no translation) that reads 50 courses from
an SQLite file with the standard library's ``sqlite3`` and renders them with one Jinja template
of cards much like Latih's. ``bench/catalogue.py`` serves it with the same gunicorn settings as
Latih and measures both in the same run: Latih's figures are read as a share of this one.

    FLOOR_DB=/tmp/floor.sqlite .venv/bin/gunicorn -w 2 --chdir bench floor_app:app
    .venv/bin/python bench/floor_app.py /tmp/floor.sqlite     # creates the database (50 courses)

``POST /enrol/<course_id>`` is the least an exact enrolment can be, on Latih's own PostgreSQL
tables (``FLOOR_PG``: the database's address; ``bench/enrollment_burst.py --floor`` serves it
with Latih's worker settings after Latih's burst): the bearer token's user, then, in one
transaction, a seat taken by one conditional UPDATE, or else the course locked and the next
waitlist place, the row inserted, the commit (not waiting for the disk). 4 round trips for a
seat, 5 for a waitlist place, with psycopg directly: no rules, no message, no audit, no JSON
schema.
"""

import hashlib
import os
import sqlite3
import sys
import threading
from datetime import UTC, date, datetime, timedelta

from flask import Flask, render_template_string, request

PAGE = """<!doctype html>
<html lang="id"><head><meta charset="utf-8"><title>Kursus</title>
<link rel="stylesheet" href="/static/bootstrap.min.css"></head>
<body><div class="container"><h1>Kursus</h1>
<p class="text-muted">{{ courses|length }} kursus</p>
<div class="row g-3">
{% for c in courses %}
  <div class="col-12 col-md-6 col-lg-4"><article class="card h-100">
    <div class="card-body">
      <span class="badge text-bg-primary">{{ c['type_key'] }}</span>
      <h2 class="h5"><a href="/courses/{{ c['id'] }}">{{ c['title'] }}</a></h2>
      <p class="small text-muted">{{ c['code'] }} · {{ c['partner'] }}</p>
      <p class="small">{{ c['starts_on'] }} – {{ c['ends_on'] }} · {{ c['location'] or '' }}</p>
      <p class="small">{{ c['capacity'] - c['enrolled_count'] }} kursi tersisa dari {{ c['capacity'] }}</p>
    </div>
  </article></div>
{% endfor %}
</div></div></body></html>"""

QUERY = """SELECT c.id, c.code, c.title, c.type_key, c.starts_on, c.ends_on, c.location,
       c.capacity, c.enrolled_count, p.name AS partner
  FROM courses c JOIN partners p ON p.id = c.partner_id
 ORDER BY c.starts_on DESC, c.id DESC LIMIT 50"""

app = Flask(__name__)
DATABASE = os.environ.get("FLOOR_DB", "floor.sqlite")


@app.route("/courses/")
def courses():
    connection = sqlite3.connect(DATABASE)
    try:
        connection.row_factory = sqlite3.Row
        rows = connection.execute(QUERY).fetchall()
    finally:
        connection.close()
    return render_template_string(PAGE, courses=rows)


TOKEN = """SELECT t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id
 WHERE t.token_hash = %s AND t.revoked_at IS NULL AND t.expires_at > %s AND u.active"""
SEAT = """UPDATE courses SET enrolled_count = enrolled_count + 1
 WHERE id = %s AND enrolled_count < capacity RETURNING id"""
LOCK = "SELECT id FROM courses WHERE id = %s FOR NO KEY UPDATE"
INSERT = """INSERT INTO enrollments (course_id, user_id, status, waitlist_position, created_at,
 updated_at, origin) VALUES (%(course)s, %(user)s, %(status)s, CASE WHEN %(waitlisted)s
 THEN (SELECT coalesce(max(waitlist_position), 0) + 1 FROM enrollments WHERE course_id = %(course)s)
 END, %(now)s, %(now)s, 'registration') RETURNING id, waitlist_position"""
_local = threading.local()


def _postgresql():
    """This thread's connection to FLOOR_PG (opened on first use; commits do not wait for the
    disk, the least a commit can cost)."""
    if getattr(_local, "connection", None) is None:
        import psycopg

        _local.connection = psycopg.connect(os.environ["FLOOR_PG"], gssencmode="disable")
        _local.connection.execute("SET synchronous_commit TO off")
        _local.connection.commit()
    return _local.connection


@app.post("/enrol/<int:course_id>")
def enrol(course_id):
    token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    now = datetime.now(UTC).replace(tzinfo=None)
    connection = _postgresql()
    with connection.transaction():
        found = connection.execute(TOKEN, (hashlib.sha256(token.encode()).hexdigest(), now))
        user = found.fetchone()
        if user is None:
            return {"code": "unauthorized"}, 401
        status = "enrolled"
        if connection.execute(SEAT, (course_id,)).fetchone() is None:
            connection.execute(LOCK, (course_id,))
            status = "waitlisted"
        values = {
            "course": course_id,
            "user": user[0],
            "status": status,
            "waitlisted": status == "waitlisted",
            "now": now,
        }
        enrolment_id, position = connection.execute(INSERT, values).fetchone()
    return {"id": enrolment_id, "status": status, "waitlist_position": position}, 201


def create(path, count=50):
    """The floor's database: two partners and ``count`` courses."""
    if os.path.exists(path):
        os.remove(path)
    connection = sqlite3.connect(path)
    connection.executescript(
        """CREATE TABLE partners (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
           CREATE TABLE courses (id INTEGER PRIMARY KEY, code TEXT, title TEXT, type_key TEXT,
             partner_id INTEGER REFERENCES partners(id), starts_on TEXT, ends_on TEXT,
             location TEXT, capacity INTEGER, enrolled_count INTEGER);
           CREATE INDEX ix_courses_order ON courses (starts_on, id);"""
    )
    connection.executemany(
        "INSERT INTO partners (id, name) VALUES (?, ?)",
        [(1, "BLK Lampung"), (2, "LPK Sakura")],
    )
    first = date(2026, 1, 5)
    connection.executemany(
        "INSERT INTO courses (code, title, type_key, partner_id, starts_on, ends_on, location,"
        " capacity, enrolled_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                f"FLOOR-{i:03d}",
                f"Kursus lantai {i}",
                "hospitality",
                1 + i % 2,
                (first + timedelta(days=i)).isoformat(),
                (first + timedelta(days=i + 27)).isoformat(),
                "Bandar Lampung",
                30,
                i % 30,
            )
            for i in range(count)
        ],
    )
    connection.commit()
    connection.close()


if __name__ == "__main__":
    create(sys.argv[1] if len(sys.argv) > 1 else DATABASE)

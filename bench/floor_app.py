"""The floor: the least a Flask app can do to serve a catalogue page of 50 courses.

A bare Flask app (no extension, no ORM, no session, no translation) that reads 50 courses from
an SQLite file with the standard library's ``sqlite3`` and renders them with one Jinja template
of cards much like Latih's. ``bench/catalogue.py`` serves it with the same gunicorn settings as
Latih and measures both in the same run: Latih's figures are read as a share of this one.

    FLOOR_DB=/tmp/floor.sqlite .venv/bin/gunicorn -w 2 --chdir bench floor_app:app
    .venv/bin/python bench/floor_app.py /tmp/floor.sqlite     # creates the database (50 courses)
"""

import os
import sqlite3
import sys
from datetime import date, timedelta

from flask import Flask, render_template_string

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

"""A WSGI app for tests/test_gunicorn.py: ``/export.csv`` streams numbered rows slowly, for longer
than the worker timeout the test gives gunicorn; ``/ping`` answers at once."""

import os
import time

#: rows streamed, and seconds between two of them (set by the test through the environment)
ROWS = int(os.environ.get("STREAM_ROWS", "50"))
PAUSE = float(os.environ.get("STREAM_PAUSE", "0.1"))


def app(environ, start_response):
    if environ["PATH_INFO"] == "/ping":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"pong"]

    def rows():
        yield b"n,name\n"
        for n in range(ROWS):
            time.sleep(PAUSE)  # a slow query page by page
            yield f"{n},Peserta {n}\n".encode()
        yield b"end\n"

    start_response("200 OK", [("Content-Type", "text/csv; charset=utf-8")])
    return rows()

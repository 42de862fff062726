"""File downloads: every one is an attachment that no shared cache keeps (they hold personal
data, or staff-only figures)."""

from flask import Response


def attachment(body, name, mimetype, **kwargs):
    """A response that downloads ``body`` (bytes, text or an iterable of them) as ``name``."""
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
        },
        **kwargs,
    )

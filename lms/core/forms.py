"""Form helpers shared by every area."""

from flask import flash


def apply_errors(form, error):
    """Put a service error's field messages on the form; the rest becomes a flash message."""
    placed = False
    for name, messages in error.fields.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = list(field.errors) + [str(m) for m in messages]
            placed = True
    if not placed:
        flash(str(error.message), "danger")


def form_status(form):
    """400 when a submitted form has errors, so that bad input never answers 200."""
    return 400 if form.errors else 200

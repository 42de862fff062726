"""The one permission helper: role checks for views and API, and course visibility for trainers."""

from functools import wraps

from flask import abort, g
from flask_login import current_user

from lms.errors import NotFound
from lms.web import is_api_request


def current_actor():
    """The user acting in this request: under /api/ the bearer token's user, else the session's."""
    if is_api_request():
        return g.get("api_user")
    if current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def roles_required(*roles):
    """Decorator: anonymous gets 401 (the login page for HTML), another role gets 403.

    Admins pass every staff check (they own the system).
    """
    allowed = set(roles)
    if "staff" in allowed:
        allowed.add("admin")

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_actor()
            if user is None:
                if is_api_request():
                    abort(401)
                from lms.extensions import login_manager

                return login_manager.unauthorized()
            if roles and user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


login_required = roles_required()


def can_manage_course(user, course):
    """Staff manage every course; a trainer only the courses assigned to them, of their own
    partner (an assignment left from another partner gives nothing)."""
    if user is None:
        return False
    if user.is_staff:
        return True
    return (
        user.role == "trainer"
        and user.partner_id is not None
        and course.partner_id == user.partner_id
        and any(t.id == user.id for t in course.trainers)
    )


def ensure_course_access(user, course):
    """Raise NotFound unless ``user`` may act on ``course`` (others must not learn it exists)."""
    if not can_manage_course(user, course):
        from flask_babel import gettext as _

        raise NotFound(_("This course does not exist."))
    return course

"""GET /api/v1/jobs/{id}: a background job's progress (its starter, staff)."""

from marshmallow import Schema, fields

from lms.auth.permissions import current_actor, login_required
from lms.jobs import services

from .blueprint import Blueprint

blp = Blueprint("api_jobs", __name__, description="Background jobs")


class JobSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    status = fields.String(metadata={"enum": ["queued", "running", "done", "failed"]})
    done = fields.Integer()
    total = fields.Integer()
    message = fields.String()
    result_url = fields.String()
    created_at = fields.DateTime()
    finished_at = fields.DateTime()


@blp.route("/jobs/<int:job_id>")
@login_required
@blp.response(200, JobSchema)
def job(job_id):
    """A job's status and progress; ``result_url`` once its file is ready."""
    return services.describe(services.visible_job(job_id, current_actor()))

"""The jobs table: one row per piece of long work a person started (an import, a bulk issue, a
file to build), with its progress and its result file."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.types import UTCDateTime, utcnow
from lms.extensions import db

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
STATUSES = (QUEUED, RUNNING, DONE, FAILED)


class Job(db.Model):
    """A piece of long work: queued, running, done or failed; at most one result file."""

    __tablename__ = "jobs"

    #: surrogate key; the job's URL and its RQ job id carry it
    id: Mapped[int] = mapped_column(primary_key=True)
    #: the task's name, e.g. "import.trainees", "export", "certificates.issue"
    kind: Mapped[str] = mapped_column(String(40))
    #: who started it (None: the system); only they and staff may see it and fetch its file
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    #: queued, running, done or failed
    status: Mapped[str] = mapped_column(String(10), default=QUEUED, index=True)
    #: steps done so far (rows, certificates...), saved when the job ends
    done: Mapped[int] = mapped_column(Integer, default=0)
    #: steps in all, when known (0: not known yet)
    total: Mapped[int] = mapped_column(Integer, default=0)
    #: what the person reads: the outcome, or why it failed (in the owner's language)
    message: Mapped[str | None] = mapped_column(String(1000))
    #: the task's arguments, as JSON text (no secret, no NIK: ids, codes, filters)
    params: Mapped[str] = mapped_column(Text, default="{}")
    #: the input file of the job (an uploaded import), if any
    payload: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    #: path of the result file, relative to JOBS_FILE_DIR; None without one or once removed
    result_path: Mapped[str | None] = mapped_column(String(300))
    #: the result file's download name
    result_name: Mapped[str | None] = mapped_column(String(200))
    #: the result file's media type
    result_mimetype: Mapped[str | None] = mapped_column(String(120))
    #: times a worker took it up (more than one after a worker died)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: the worker that runs or ran it (host.pid), to recover it if that worker died
    worker: Mapped[str | None] = mapped_column(String(200))
    #: the request that started it, carried into the worker's log lines
    request_id: Mapped[str | None] = mapped_column(String(64))
    #: when it was started (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    #: when a worker took it up last
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when it ended, done or failed
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    #: who started it
    owner = relationship("User")

    @property
    def finished(self):
        return self.status in (DONE, FAILED)

"""Configuration classes. ``LMS_CONFIG`` picks one; ``LMS_*`` environment variables override any key."""

import os


class Config:
    """Defaults shared by every environment."""

    #: signs sessions, CSRF tokens and password-reset links; must come from outside in production
    SECRET_KEY = None
    #: None means SQLite in the instance folder (set in create_app); DATABASE_URL is honoured too
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    #: hide_parameters: a failed statement is logged without its values (NIKs, birth dates,
    #: password hashes); only the test suite shows them
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    #: PostgreSQL: seconds a new connection may take before the request is answered 503 ("try
    #: again in a minute"); without a limit a database host that stopped answering holds every
    #: worker's threads for minutes. A ``connect_timeout`` in the URL or PGCONNECT_TIMEOUT wins
    DATABASE_CONNECT_TIMEOUT = 5
    #: PostgreSQL: seconds one statement may run (or wait for a lock) before the database cancels
    #: it and the request is answered 503 ("try again in a minute"), its transaction rolled back;
    #: 0 for no limit. A runaway query, or a lock some other session never lets go, would
    #: otherwise hold a worker's thread and a database connection for good (gthread workers are
    #: not ended for a long request: gunicorn.conf.py). Off by default: migrations, jobs and
    #: commands may run long by design; gunicorn.conf.py gives the web processes 30 s
    #: (GUNICORN_STATEMENT_TIMEOUT)
    DATABASE_STATEMENT_TIMEOUT = 0
    #: Indonesian first, English beside it; source strings are English
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = ("id", "en")
    #: Bootstrap is served from the package, never from a CDN
    BOOTSTRAP_SERVE_LOCAL = True
    #: Flask-Compress: text responses and static files travel compressed, brotli where the
    #: browser takes it, else gzip (for streamed answers too: Flask-Compress leaves gzip out there)
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_ALGORITHM_STREAMING = ["br", "gzip"]
    #: seconds a browser keeps a static file whose URL carries its content hash (``?v=``)
    STATIC_IMMUTABLE_MAX_AGE = 365 * 24 * 3600
    #: seconds a shared cache (an office proxy, a CDN) may keep a public page shown to an
    #: anonymous visitor (the catalogue, the privacy notice); 0 turns it off
    PUBLIC_PAGE_MAX_AGE = 300
    #: seconds a web worker may serve again the catalogue page it rendered for an anonymous
    #: visitor while no course, enrolment, partner or trainer changed (lms.catalog.pagecache;
    #: a change is seen at its commit, the time alone after this); 0 turns it off
    CATALOG_PAGE_CACHE_SECONDS = 60
    #: the most catalogue pages a worker keeps, and the most memory their text may take: the
    #: least recently served page goes first (a search nobody repeats does not pile up)
    CATALOG_PAGE_CACHE_PAGES = 64
    CATALOG_PAGE_CACHE_BYTES = 2 * 1024 * 1024
    #: flask-smorest: the OpenAPI document lives at /api/v1/openapi.json
    API_TITLE = "Latih API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    #: rate limits (Flask-Limiter); None means REDIS_URL when set, else memory:// (set in
    #: create_app). Production needs a shared store (redis://...) unless SINGLE_PROCESS is set
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = None
    #: while the shared store (Redis) is unreachable, each process counts the same limits in its
    #: own memory instead of failing the request (login, registration, check-in would answer
    #: 500); it goes back to the store once the store answers again. /healthz still reports it
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    #: the deployment runs exactly one process (one gunicorn worker; threads are fine), so
    #: limits kept in memory:// are whole: production then starts without a shared store
    SINGLE_PROCESS = False
    #: no X-RateLimit-* headers from Flask-Limiter: it would also put a Retry-After on every
    #: answer of a limited view (a 201 too), and stretch a 503's Retry-After ("try again in 30
    #: seconds") to the end of the limit's window, an hour or a day, which an offline queue
    #: would wait for. A 429 says itself when to try again (lms/core/http.py)
    RATELIMIT_HEADERS_ENABLED = False
    #: login attempts per account, from any address, the login page and API tokens together
    #: (brute force on one account); reset-link requests have a budget of the same size...
    LOGIN_RATE_LIMIT = "5 per minute;30 per hour"
    #: ...and per address (a classroom behind one NAT logs in together)
    LOGIN_IP_RATE_LIMIT = "60 per minute"
    #: password links and codes sent to one account, an e-mail or an SMS each (which the office
    #: pays for): a few tries when a message is slow, then a pause, and a day's cap, so that
    #: nobody can make the site send a phone message after message; entering codes keeps the
    #: login's budget
    RESET_SEND_RATE_LIMIT = "3 per 10 minutes;10 per day"
    #: registrations per address, accepted or not: a class registering together on a partner's
    #: Wi-Fi, or a thousand phones behind one mobile operator's shared address on the morning
    #: registration opens, all pass; a script creating accounts in bulk does not
    REGISTER_RATE_LIMIT = "60 per minute;600 per hour"
    #: lookups of who is registered: registrations refused per address (a NIK, e-mail or number
    #: already used, or a form with errors), and profile changes per account, so that tried
    #: NIKs and e-mails are not looked up in bulk
    LOOKUP_RATE_LIMIT = "10 per minute;50 per hour"
    #: certificate verifications (page and API) per address: codes must not be enumerated
    VERIFY_RATE_LIMIT = "30 per minute"
    #: check-in attempts per trainee, the page and the API together: a 6-digit code must not be
    #: guessed
    CHECKIN_RATE_LIMIT = "20 per minute"
    #: a trainee's own enrolments and cancellations (the course page, the cancel page and the API
    #: together), counted when made: each sends them a message, which the office may pay for
    #: (lms/enrollment/limits.py); staff have none
    ENROLMENT_CHANGE_RATE_LIMIT = "10 per hour;30 per day"
    #: werkzeug password hashing method
    PASSWORD_HASH_METHOD = "scrypt"
    #: minimum password length for every account
    PASSWORD_MIN_LENGTH = 8
    #: lowest zxcvbn score (0-4) a password needs, judged with common Indonesian words and the
    #: person's own data; 3 resists an online attack and a slow offline one
    PASSWORD_MIN_SCORE = 3
    #: lifetime of a password reset link, in seconds
    PASSWORD_RESET_MAX_AGE = 3600
    #: lifetime of an API token, in seconds
    API_TOKEN_LIFETIME = 30 * 24 * 3600
    #: remember-me cookie lifetime, in seconds
    REMEMBER_COOKIE_DURATION = 14 * 24 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: outbox delivery: when MAIL_SERVER is empty, messages stay in the outbox for staff to read
    MAIL_SERVER = ""
    MAIL_PORT = 587
    MAIL_USE_TLS = True
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_FROM = "Latih <no-reply@latih.example>"
    #: message channels switched off by key (entry-point names of the lms.channels group); a
    #: channel without its settings is off anyway
    CHANNELS_DISABLED = ()
    #: SMS through an HTTP gateway: the endpoint, POSTed with "Authorization: Bearer <token>"
    SMS_URL = ""
    SMS_TOKEN = ""
    #: the body: a JSON object whose string values may hold {to} and {text} (None: the default
    #: {"to": "{to}", "text": "{text}"}); sent as JSON, or as a form when SMS_BODY_FORMAT is "form"
    SMS_BODY_TEMPLATE = None
    SMS_BODY_FORMAT = "json"
    #: how {to} writes the number: "+62" (+6281234567890), "62" (6281234567890) or "0" (0812...)
    SMS_NUMBER_FORMAT = "+62"
    #: WhatsApp Business Cloud API: https://graph.facebook.com/v21.0/<phone-number-id>/messages
    WHATSAPP_URL = ""
    #: a system user's permanent access token with the whatsapp_business_messaging permission
    WHATSAPP_TOKEN = ""
    #: Latih's language -> the language code the templates are registered under
    WHATSAPP_LANGUAGES = {"id": "id", "en": "en"}
    #: tries of one message on one channel before it counts as failed there (the next channel
    #: that reaches the person takes over)
    OUTBOX_MAX_ATTEMPTS = 5
    #: whether the outbox's pages show the texts of messages that carry a password link or code
    #: (lms.outbox.models.SECRET_KINDS); off: only their recipient reads them, so that nobody
    #: at the office (staff read the outbox) can take over an account, a trainer's or an
    #: admin's included. The demo, which delivers nothing, shows them
    OUTBOX_SHOW_SECRETS = False
    #: the first wait after a failed try, in seconds; each next wait is four times as long
    OUTBOX_RETRY_SECONDS = 60
    #: seconds a delivery run holds a message it took (a crashed run's messages come back then)
    OUTBOX_LEASE_SECONDS = 300
    #: lifetime of a one-time code sent to a phone (password reset without e-mail), in seconds
    PASSWORD_CODE_MAX_AGE = 900
    #: wrong codes that spend a one-time code
    PASSWORD_CODE_MAX_TRIES = 5
    #: the site's public address (e.g. https://latih.example.go.id): every link in a message or on
    #: a certificate is built on it, never on the request's Host; required in production
    PUBLIC_BASE_URL = ""
    #: host names the site answers to (Flask's TRUSTED_HOSTS; a list, or one string separated by
    #: commas; ".example.go.id" takes every subdomain): any other Host header is a 400. None
    #: answers every host
    TRUSTED_HOSTS = None
    #: seconds of the Strict-Transport-Security header (e.g. 31536000 for a year); 0 sends none
    HSTS_SECONDS = 0
    #: name of the office shown in the header and on documents
    OFFICE_NAME = "BP3MI Lampung"
    #: course types switched off by key (entry-point names of the lms.course_types group)
    COURSE_TYPES_DISABLED = ()
    #: most active enrolments (pending, enrolled, waitlisted) a trainee may hold; 0 = no cap
    MAX_ACTIVE_ENROLLMENTS = 3
    #: seconds a check-in code is shown before it rotates (it is accepted for two periods)
    CHECKIN_CODE_PERIOD = 30
    #: minutes after a session's start when a check-in counts as late
    CHECKIN_GRACE_MINUTES = 15
    #: minutes before the start a check-in opens; it closes at the session's end
    CHECKIN_OPENS_BEFORE_MINUTES = 30
    #: days after a session during which its trainers may still change its attendance
    ATTENDANCE_EDIT_DAYS = 3
    #: PEM file of the Ed25519 key that signs certificates (generated there in development)
    CERTIFICATE_KEY_FILE = None
    #: PEM files of public keys rotated out; still published so that old certificates verify
    CERTIFICATE_OLD_PUBLIC_KEYS = ()
    #: serial number format; fields: office, type (the course type's serial code), year, seq
    CERTIFICATE_SERIAL_FORMAT = "{office}/{type}/{year}/{seq:05d}"
    #: the office's code in serial numbers
    CERTIFICATE_OFFICE_CODE = "LPG"
    #: who signs the certificates, printed with name and title under the text and signed into
    #: each certificate on the day of issue: a list of {"name", "title"} (from the environment
    #: as JSON, e.g. LMS_CERTIFICATE_SIGNATORIES='[{"name": "...", "title": "..."}]'); (name,
    #: title) pairs are read too. The demo values are placeholders: set the office's own
    CERTIFICATE_SIGNATORIES = (
        {"name": "Dra. Siti Aminah, M.Si.", "title": "Kepala BP3MI Lampung"},
    )
    #: days before a certificate expires when its holder is reminded (once) by
    #: `flask --app lms lms remind-expiring`
    CERTIFICATE_REMIND_DAYS = 30
    #: version of the privacy notice a person agrees to at registration (templates/privacy/)
    PRIVACY_NOTICE_VERSION = "2026-11"
    #: page size of HTML lists
    PER_PAGE = 20
    #: seconds a search by NIK stays readable in the links of its results (the term is sealed in
    #: them, never written out: see lms/core/sealed.py)
    SEARCH_TERM_MAX_AGE = 3600
    #: how many reverse proxies (nginx, a load balancer) stand in front of the app and set
    #: X-Forwarded-For/-Proto: the client's address then comes from them (rate limits and
    #: audit entries need it); 0 trusts no such header
    PROXY_COUNT = 0
    #: also take the host from X-Forwarded-Host (only when the proxies set it themselves and
    #: drop the client's); off, the Host header the proxy passes on stands
    PROXY_FORWARDED_HOST = False
    #: largest request body, in bytes (a 100,000-row trainee file is about 15 MB): 413 above it
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024
    #: an uploaded XLSX is refused (400) before it is read when one of its parts would unpack to
    #: more than this many bytes (a 100,000-row sheet is 50-80 MB of XML)...
    XLSX_MAX_MEMBER_SIZE = 100 * 1024 * 1024
    #: ...or all its parts together to more than this...
    XLSX_MAX_UNPACKED_SIZE = 128 * 1024 * 1024
    #: ...or it (or a part of it above 1 MB) shrank more than this many times: spreadsheets
    #: shrink 5 to 30 times, a "zip bomb" hundreds
    XLSX_MAX_COMPRESSION_RATIO = 100
    WTF_CSRF_TIME_LIMIT = None
    #: the job queue's Redis (RQ), e.g. redis://127.0.0.1:6379/1; None takes REDIS_URL; empty:
    #: no queue, jobs run in the web process right after the request that started them
    JOBS_REDIS_URL = None
    #: the RQ queue's name
    JOBS_QUEUE = "latih"
    #: seconds a job may run before the worker stops it
    JOBS_TIMEOUT = 6 * 3600
    #: folder of the jobs' result files (None: instance/job-files); shared by the web and the
    #: worker machines
    JOBS_FILE_DIR = None
    #: seconds a job's file stays downloadable (then the worker deletes it)
    JOBS_FILE_MAX_AGE = 24 * 3600
    #: an import of more rows than this runs as a job (the page shows its progress)
    JOBS_IMPORT_MIN_ROWS = 300
    #: a bulk certificate issue for more trainees than this, and a course ZIP of more
    #: certificates, run as jobs
    JOBS_CERTIFICATES_MIN = 40
    #: an XLSX export of more rows than this is a job's work (a workbook is written whole
    #: before its first byte: 5,000 rows take about 0.7 s of CPU, see bench/README.md; CSV
    #: files stream and never need one)
    JOBS_EXPORT_XLSX_MIN_ROWS = 5000
    #: seconds between two tries of the outbox while a mail server refuses messages
    JOBS_OUTBOX_BACKOFF = (30, 60, 300, 900, 3600)
    #: seconds a job pauses at each progress report: the kill drill's slow motion (tests only)
    JOBS_STEP_PAUSE = 0
    #: addresses (and networks, e.g. 10.0.0.0/8) that may read /metrics, separated by commas;
    #: any other gets a 404
    METRICS_ALLOW = "127.0.0.1,::1"
    #: log lines as JSON objects (one per line, with the request id); false: plain text
    LOG_JSON = True
    #: refuse to start unless SECRET_KEY and the database URL come from outside
    REQUIRE_EXTERNAL_SECRETS = False


class DevelopmentConfig(Config):
    """Local development and the demo site."""

    DEBUG = True
    SECRET_KEY = "dev-only-not-secret"
    #: where ``flask run`` serves the demo
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    #: the demo delivers no message: its password links and codes are read in the outbox
    OUTBOX_SHOW_SECRETS = True


class TestingConfig(Config):
    """The test suite: fast hashing, no CSRF tokens in forms, no real mail."""

    TESTING = True
    SECRET_KEY = "test-only-not-secret"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    #: failed statements show their values, to debug a test
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    #: the test client's host
    PUBLIC_BASE_URL = "http://localhost"
    WTF_CSRF_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"
    #: limits stay on (the throttling test lowers them); generous enough for the rest of the suite
    LOGIN_RATE_LIMIT = "10000 per minute"
    LOGIN_IP_RATE_LIMIT = "10000 per minute"
    RESET_SEND_RATE_LIMIT = "10000 per minute"
    REGISTER_RATE_LIMIT = "10000 per minute"
    LOOKUP_RATE_LIMIT = "10000 per minute"
    ENROLMENT_CHANGE_RATE_LIMIT = "10000 per minute"
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    SERVER_NAME = None
    #: jobs run in-process: no Redis unless a test brings its own
    JOBS_REDIS_URL = ""
    #: the catalogue is rendered on every request (tests/catalog turn the page cache on)
    CATALOG_PAGE_CACHE_SECONDS = 0


class ProductionConfig(Config):
    """Production: refuses to start without SECRET_KEY, a database URL, PUBLIC_BASE_URL and a
    shared rate-limit store from outside."""

    REQUIRE_EXTERNAL_SECRETS = True
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}

"""Configuration, read from the environment. Nothing else in the project reads ``os.environ``."""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = BASE_DIR / "instance"
VAR_DIR = BASE_DIR / "var"


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _local_secret_key() -> str:
    """A random key kept in ``instance/`` so the embedded run keeps sessions across restarts."""
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


class Config:
    """The embedded defaults: one machine, SQLite everywhere, nothing else to install."""

    ENV_NAME = "development"
    SECRET_KEY = _env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", _sqlite_url(INSTANCE_DIR / "hongke.sqlite"))
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}

    CELERY_BROKER_URL = _env("CELERY_BROKER_URL", f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite'}")
    CELERY_RESULT_BACKEND = _env("CELERY_RESULT_BACKEND", f"db+sqlite:///{VAR_DIR / 'celery-results.sqlite'}")
    CELERY_TASK_ALWAYS_EAGER = _env_bool("CELERY_TASK_ALWAYS_EAGER", False)
    #: Redis broker only: seconds before an unacknowledged task is handed to another worker. It must
    #: exceed the longest task (a four-hour transcode), or a second worker starts the same job.
    CELERY_VISIBILITY_TIMEOUT = _env_int("CELERY_VISIBILITY_TIMEOUT", 6 * 3600)
    CELERY_BEAT_SCHEDULE_FILE = _env("CELERY_BEAT_SCHEDULE_FILE", str(VAR_DIR / "celerybeat-schedule"))

    MEDIA_ROOT = _env("MEDIA_ROOT", str(VAR_DIR / "media"))
    #: Where originals and renditions live (media_pipeline/storage.py): "local" (MEDIA_ROOT, the
    #: embedded default) or "s3" (a bucket of any S3-compatible service; MEDIA_ROOT is then only the
    #: machine's scratch space for uploads in progress and transcodes).
    MEDIA_STORAGE = _env("MEDIA_STORAGE", "local")
    #: The S3 service (empty: AWS itself), bucket, credentials and region, for MEDIA_STORAGE=s3.
    MEDIA_S3_ENDPOINT_URL = _env("MEDIA_S3_ENDPOINT_URL", "")
    #: The bucket's address as players reach it (a public gateway or a CDN in front of it), used to
    #: sign the segment URLs the app redirects to; empty: MEDIA_S3_ENDPOINT_URL. The bucket needs a
    #: CORS rule allowing GET from the site's origin (hls.js fetches segments with XHR).
    MEDIA_S3_PUBLIC_URL = _env("MEDIA_S3_PUBLIC_URL", "")
    MEDIA_S3_BUCKET = _env("MEDIA_S3_BUCKET", "hongke-media")
    MEDIA_S3_ACCESS_KEY = _env("MEDIA_S3_ACCESS_KEY", "")
    MEDIA_S3_SECRET_KEY = _env("MEDIA_S3_SECRET_KEY", "")
    MEDIA_S3_REGION = _env("MEDIA_S3_REGION", "us-east-1")
    SEARCH_INDEX_DIR = _env("SEARCH_INDEX_DIR", str(VAR_DIR / "search"))
    IMPORT_DIR = _env("IMPORT_DIR", str(VAR_DIR / "imports"))
    #: Files background exports write (a branch's 学时证明 ZIP), deleted when they expire.
    EXPORT_DIR = _env("EXPORT_DIR", str(VAR_DIR / "exports"))
    #: The site's public address (``https://dangxiao.example.cn/``). When set, every absolute link that
    #: leaves the request is built from it: certificates' QR and verification links, xAPI actor
    #: homePages and activity ids, QR check-in links of meetings and classes, API ``url`` fields.
    #: Empty: links are built from the address the request came to (and xAPI ids from
    #: http://localhost:5000/, as no request names them). XAPI_SITE_URL is read when this is unset.
    SITE_URL = _env("SITE_URL", "")
    FFMPEG_BIN = _env("FFMPEG_BIN", "ffmpeg")
    FFPROBE_BIN = _env("FFPROBE_BIN", "ffprobe")

    # --- Spreadsheet imports (app/core/spreadsheets.py: members, question banks) -----------------
    #: Data rows one member import or one question import accepts; a longer file is refused.
    MEMBER_IMPORT_MAX_ROWS = _env_int("MEMBER_IMPORT_MAX_ROWS", 50_000)
    QUIZ_IMPORT_MAX_QUESTIONS = _env_int("QUIZ_IMPORT_MAX_QUESTIONS", 10_000)
    #: Columns read per row; cells further right are never read.
    SPREADSHEET_MAX_COLUMNS = _env_int("SPREADSHEET_MAX_COLUMNS", 64)
    #: Consecutive empty rows that end a sheet's data (a forged XLSX dimension pads rows forever).
    SPREADSHEET_MAX_EMPTY_ROWS = _env_int("SPREADSHEET_MAX_EMPTY_ROWS", 1000)
    #: Characters of one CSV record or one line of a text question bank.
    SPREADSHEET_MAX_ROW_CHARS = _env_int("SPREADSHEET_MAX_ROW_CHARS", 100_000)
    #: XLSX, checked before it is opened: all members uncompressed, and the worst compression ratio.
    SPREADSHEET_MAX_UNCOMPRESSED_BYTES = _env_int("SPREADSHEET_MAX_UNCOMPRESSED_BYTES", 50 * 1024**2)
    SPREADSHEET_MAX_COMPRESSION_RATIO = _env_int("SPREADSHEET_MAX_COMPRESSION_RATIO", 100)

    # --- Media pipeline (media_pipeline/, issue 3) -------------------------------------------------
    #: Largest video or audio file a trainer may upload (checked before and during the upload).
    MEDIA_MAX_UPLOAD_BYTES = _env_int("MEDIA_MAX_UPLOAD_BYTES", 4 * 1024**3)
    #: Longest media accepted, in seconds (probed before anything is queued).
    MEDIA_MAX_DURATION_SECONDS = _env_int("MEDIA_MAX_DURATION_SECONDS", 4 * 3600)
    #: Largest width or height accepted; larger (or smaller than 16 px) is refused as absurd.
    MEDIA_MAX_DIMENSION = _env_int("MEDIA_MAX_DIMENSION", 8192)
    #: Size of one resumable-upload chunk; the browser sends the file in pieces of this size.
    MEDIA_UPLOAD_CHUNK_BYTES = _env_int("MEDIA_UPLOAD_CHUNK_BYTES", 8 * 1024**2)
    #: Unfinished uploads are deleted after this many hours without a new chunk.
    MEDIA_UPLOAD_EXPIRY_HOURS = _env_int("MEDIA_UPLOAD_EXPIRY_HOURS", 48)
    #: Days an original is kept after its asset is ready; 0 keeps originals forever.
    MEDIA_ORIGINAL_RETENTION_DAYS = _env_int("MEDIA_ORIGINAL_RETENTION_DAYS", 0)
    #: How media files reach the browser: "direct" (Flask streams them, with Range support),
    #: "x-accel-redirect" (nginx serves MEDIA_ACCEL_PREFIX + path) or "x-sendfile" (Apache, lighttpd).
    MEDIA_SERVE_MODE = _env("MEDIA_SERVE_MODE", "direct")
    #: nginx ``internal`` location aliased to MEDIA_ROOT, for the x-accel-redirect mode.
    MEDIA_ACCEL_PREFIX = _env("MEDIA_ACCEL_PREFIX", "/_protected_media/")
    #: How long a signed playback URL (lesson API, lesson page) works: long enough to watch a lesson.
    PLAYBACK_URL_TTL_SECONDS = _env_int("PLAYBACK_URL_TTL_SECONDS", 4 * 3600)
    #: Expiries are rounded up to this, so a member reopening a lesson reuses the same (cached) URLs.
    PLAYBACK_URL_BUCKET_SECONDS = _env_int("PLAYBACK_URL_BUCKET_SECONDS", 900)
    #: The playback signing key is derived from PLAYBACK_SIGNING_KEY (empty: SECRET_KEY) and this id:
    #: changing the id rotates the key; ids in PLAYBACK_RETIRED_KEY_IDS (comma-separated) still verify.
    PLAYBACK_SIGNING_KEY = _env("PLAYBACK_SIGNING_KEY")
    PLAYBACK_KEY_ID = _env("PLAYBACK_KEY_ID", "1")
    PLAYBACK_RETIRED_KEY_IDS = _env("PLAYBACK_RETIRED_KEY_IDS", "")
    #: Seconds a viewer check's "yes" is trusted by the segments of a signed URL (playlists always
    #: ask): a member who loses access is stopped mid-lesson within this time. 0 asks every time.
    PLAYBACK_ACCESS_RECHECK_SECONDS = _env_int("PLAYBACK_ACCESS_RECHECK_SECONDS", 60)
    #: Seconds ffprobe may take before it is killed and the file refused.
    MEDIA_PROBE_TIMEOUT_SECONDS = _env_int("MEDIA_PROBE_TIMEOUT_SECONDS", 60)
    #: x264 speed preset of every rendition: a trade of CPU time against bitrate at equal quality.
    MEDIA_X264_PRESET = _env("MEDIA_X264_PRESET", "veryfast")
    #: Seconds a worker's per-asset lease lasts without renewal; a killed worker's lease expires
    #: after this and the next sweep queues the job again (renewed every third of it by a thread of
    #: the run, and with each progress report).
    MEDIA_LEASE_SECONDS = _env_int("MEDIA_LEASE_SECONDS", 45)
    #: Renew the lease from a thread while a run is alive (off in tests: one in-memory database).
    MEDIA_LEASE_HEARTBEAT = _env_bool("MEDIA_LEASE_HEARTBEAT", True)
    #: Seconds ffmpeg may go without reporting progress before it is killed as stuck.
    MEDIA_FFMPEG_STALL_SECONDS = _env_int("MEDIA_FFMPEG_STALL_SECONDS", 300)
    #: Task time limit: base seconds plus this many seconds per second of media. With the defaults a
    #: four-hour source gets 5 h, under CELERY_VISIBILITY_TIMEOUT (6 h) as Redis requires.
    MEDIA_TASK_TIME_BASE_SECONDS = _env_int("MEDIA_TASK_TIME_BASE_SECONDS", 900)
    MEDIA_TASK_TIME_PER_MEDIA_SECOND = float(_env("MEDIA_TASK_TIME_PER_MEDIA_SECOND", "1.2"))
    #: Runs of one asset (first run, retries, redeliveries) before it is marked failed for good.
    MEDIA_MAX_ATTEMPTS = _env_int("MEDIA_MAX_ATTEMPTS", 5)
    #: Seconds an asset may sit queued, probing or unleased in transcoding before the sweeper
    #: queues it again (a broker that was down at upload time, a lost message).
    MEDIA_STUCK_AFTER_SECONDS = _env_int("MEDIA_STUCK_AFTER_SECONDS", 1800)
    #: How often beat runs the media sweeper. A job whose lease lapsed (its worker died) is queued
    #: again by the next sweep, so a crash costs at most the lease plus this.
    MEDIA_SWEEP_SECONDS = _env_int("MEDIA_SWEEP_SECONDS", 60)
    #: Publish the first playable rendition as soon as it exists, then the rest of the ladder.
    MEDIA_PUBLISH_EARLY = _env_bool("MEDIA_PUBLISH_EARLY", True)
    #: Copy a browser-ready H.264 source as the top rung instead of encoding it (media_pipeline.copyable).
    MEDIA_COPY_COMPLIANT = _env_bool("MEDIA_COPY_COMPLIANT", True)
    #: Sources longer than this (seconds) are encoded in chunks by several tasks (0: never);
    #: chunks are about MEDIA_CHUNK_SECONDS long, cut at the source's keyframes (issue 20).
    MEDIA_CHUNK_THRESHOLD_SECONDS = _env_int("MEDIA_CHUNK_THRESHOLD_SECONDS", 600)
    MEDIA_CHUNK_SECONDS = _env_int("MEDIA_CHUNK_SECONDS", 60)
    # --- end of media pipeline settings -----------------------------------------------------------

    # --- Quizzes, contests and points (app/quiz, issue 6) -----------------------------------------
    #: Questions drawn for each member's daily quiz (每日答题), and seconds to finish it once started.
    QUIZ_DAILY_SIZE = _env_int("QUIZ_DAILY_SIZE", 5)
    QUIZ_DAILY_SECONDS = _env_int("QUIZ_DAILY_SECONDS", 600)
    #: Seconds for each challenge (挑战答题) question before it times out and the streak ends.
    QUIZ_CHALLENGE_SECONDS = _env_int("QUIZ_CHALLENGE_SECONDS", 45)
    #: Most questions one challenge can run to (a perfect streak ends there).
    QUIZ_CHALLENGE_MAX = _env_int("QUIZ_CHALLENGE_MAX", 30)
    #: Duels: questions per duel, seconds per round, seconds of silence after which a player has
    #: dropped out, and seconds a room waits for an opponent before it is closed.
    QUIZ_DUEL_QUESTIONS = _env_int("QUIZ_DUEL_QUESTIONS", 5)
    QUIZ_DUEL_ROUND_SECONDS = _env_int("QUIZ_DUEL_ROUND_SECONDS", 20)
    QUIZ_DUEL_DROP_SECONDS = _env_int("QUIZ_DUEL_DROP_SECONDS", 30)
    QUIZ_DUEL_WAIT_SECONDS = _env_int("QUIZ_DUEL_WAIT_SECONDS", 120)
    #: Seconds of network delay forgiven after a deadline; later answers are refused.
    QUIZ_SUBMIT_GRACE_SECONDS = _env_int("QUIZ_SUBMIT_GRACE_SECONDS", 2)
    #: Most points each action may earn a member per day (积分 reward verified learning, not grinding).
    POINTS_DAILY_CAPS: ClassVar[dict] = {
        "daily_quiz": _env_int("POINTS_CAP_DAILY_QUIZ", 5),
        "challenge": _env_int("POINTS_CAP_CHALLENGE", 6),
        "contest": _env_int("POINTS_CAP_CONTEST", 10),
        "duel": _env_int("POINTS_CAP_DUEL", 6),
        "quiz_pass": _env_int("POINTS_CAP_QUIZ_PASS", 10),
        "lesson": _env_int("POINTS_CAP_LESSON", 10),
        "article": _env_int("POINTS_CAP_ARTICLE", 6),
        "media": _env_int("POINTS_CAP_MEDIA", 6),
        "course": _env_int("POINTS_CAP_COURSE", 10),
        "login": _env_int("POINTS_CAP_LOGIN", 1),
        "comment": _env_int("POINTS_CAP_COMMENT", 2),
    }
    #: Points for learning, after the common 学习强国 rules; each is awarded only from an event the
    #: server verified (app/quiz/earning.py) and counts against the action's daily cap above.
    #: Reading an article (knowledge base or article lesson): seconds visibly on screen, measured by
    #: the server's clock between heartbeats, before reaching the end earns the point.
    POINTS_READ_SECONDS = _env_int("POINTS_READ_SECONDS", 60)
    #: One point per this many seconds of video or audio time records credited.
    POINTS_MEDIA_SECONDS = _env_int("POINTS_MEDIA_SECONDS", 300)
    POINTS_LESSON = _env_int("POINTS_LESSON", 1)
    POINTS_COURSE = _env_int("POINTS_COURSE", 5)
    #: Rankings of individual members; off by default, leaderboards then rank branches only.
    POINTS_PERSONAL_RANKING = _env_bool("POINTS_PERSONAL_RANKING", False)
    # --- end of quiz settings ---------------------------------------------------------------------

    # --- Learning hours (app/records, issue 5) --------------------------------------------------
    # Alike in shape to the media settings above: each section reads its own variables.
    #: Seconds between the player's heartbeats while playing; a silence counts for at most this.
    HEARTBEAT_INTERVAL_SECONDS = float(_env("HEARTBEAT_INTERVAL_SECONDS", "15"))
    #: Slack for network and timer jitter when judging a heartbeat, in seconds.
    HEARTBEAT_TOLERANCE_SECONDS = float(_env("HEARTBEAT_TOLERANCE_SECONDS", "3"))
    #: Fastest playback rate that still counts in full; faster playback counts up to this rate.
    PLAYBACK_MAX_RATE = float(_env("PLAYBACK_MAX_RATE", "2.0"))
    #: 防挂机: after a random 10–25 minutes of credited media time (carried across playback sessions)
    #: the server asks the member to type the digits drawn in an image (never sent as text) and
    #: credits nothing until they do.
    PRESENCE_CHECK_ENABLED = _env_bool("PRESENCE_CHECK_ENABLED", True)
    PRESENCE_CHECK_MIN_MINUTES = _env_int("PRESENCE_CHECK_MIN_MINUTES", 10)
    PRESENCE_CHECK_MAX_MINUTES = _env_int("PRESENCE_CHECK_MAX_MINUTES", 25)
    #: Seconds a presence challenge stays answerable; an unanswered one is a miss and a new one follows.
    PRESENCE_CHECK_EXPIRE_SECONDS = _env_int("PRESENCE_CHECK_EXPIRE_SECONDS", 120)
    #: Misses in a row (wrong or expired) after which the playback session credits nothing more.
    PRESENCE_CHECK_MAX_MISSES = _env_int("PRESENCE_CHECK_MAX_MISSES", 3)
    #: Manual entries above this many 学时 wait for a second coordinator's approval.
    HOURS_MANUAL_APPROVAL_ABOVE = float(_env("HOURS_MANUAL_APPROVAL_ABOVE", "4"))
    #: Minutes of timed offline activity (a class, a meeting) that make one 学时.
    HOURS_MINUTES_PER_UNIT = _env_int("HOURS_MINUTES_PER_UNIT", 45)
    #: Yearly 学时 targets: members, and 书记 / 副书记 / 委员.
    HOURS_TARGET_MEMBER = _env_int("HOURS_TARGET_MEMBER", 32)
    HOURS_TARGET_CADRE = _env_int("HOURS_TARGET_CADRE", 56)
    #: A TrueType CJK font (``.ttf`` or a ``.ttc`` of TrueType faces) embedded in certificates, so
    #: they print the same everywhere; empty: the first of ``app.core.pdf.CANDIDATES`` found
    #: (scripts/setup installs fonts-wqy-zenhei). CFF-based OpenType (Noto CJK ``.otf``/``.ttc``)
    #: cannot be embedded by ReportLab.
    PDF_CJK_FONT = _env("PDF_CJK_FONT", "")
    #: Hours a branch's 学时证明 ZIP stays downloadable before the sweep deletes it.
    PROOF_EXPORT_HOURS = _env_int("PROOF_EXPORT_HOURS", 24)
    # --- end of learning-hours settings --------------------------------------------------------

    # --- Organisation life (app/branchlife, issue 14) ---------------------------------------------
    #: How often each kind of meeting must be held: ``{kind: (period, at least)}`` with period one of
    #: month | quarter | year. Kinds missing here have no required frequency (谈心谈话).
    BRANCHLIFE_REQUIRED: ClassVar[dict[str, tuple[str, int]]] = {
        "general_assembly": ("quarter", 1),
        "committee": ("month", 1),
        "group": ("month", 1),
        "lecture": ("quarter", 1),
        "theme_day": ("month", 1),
        "life_meeting": ("year", 1),
        "review": ("year", 1),
    }
    #: Minutes that make one 学时, per kind; a kind missing here uses HOURS_MINUTES_PER_UNIT (45).
    BRANCHLIFE_MINUTES_PER_UNIT: ClassVar[dict[str, int]] = {}
    #: 党课 the branch's 书记 must give each year (0 turns the rule off).
    BRANCHLIFE_SECRETARY_LECTURES = _env_int("BRANCHLIFE_SECRETARY_LECTURES", 1)
    #: Check-in opens this many minutes before the start and closes this many after the end.
    BRANCHLIFE_CHECKIN_EARLY_MINUTES = _env_int("BRANCHLIFE_CHECKIN_EARLY_MINUTES", 30)
    BRANCHLIFE_CHECKIN_GRACE_MINUTES = _env_int("BRANCHLIFE_CHECKIN_GRACE_MINUTES", 30)
    #: A member checking in more than this many minutes after the start is marked late.
    BRANCHLIFE_LATE_AFTER_MINUTES = _env_int("BRANCHLIFE_LATE_AFTER_MINUTES", 10)
    #: The check-in code shown at the venue changes every this many seconds (the previous one is
    #: still accepted, for whoever was typing it).
    BRANCHLIFE_CODE_SECONDS = _env_int("BRANCHLIFE_CODE_SECONDS", 60)
    #: Where meeting photos and files are kept (default MEDIA_ROOT/branchlife), and their size limits.
    BRANCHLIFE_UPLOAD_DIR = _env("BRANCHLIFE_UPLOAD_DIR", "")
    BRANCHLIFE_PHOTO_MAX_MB = _env_int("BRANCHLIFE_PHOTO_MAX_MB", 15)
    BRANCHLIFE_FILE_MAX_MB = _env_int("BRANCHLIFE_FILE_MAX_MB", 20)

    # --- Courses (courses/, issue 4) ------------------------------------------------------------------
    #: Fastest speed offered in the player's menu (credit above PLAYBACK_MAX_RATE is capped anyway).
    COURSES_PLAYER_MAX_RATE = float(_env("COURSES_PLAYER_MAX_RATE", "2.0"))
    #: Reminders of an assignment's due date: days before it, and days after it (overdue), comma-separated.
    COURSES_REMIND_DAYS_BEFORE = _env("COURSES_REMIND_DAYS_BEFORE", "3,1")
    COURSES_REMIND_DAYS_AFTER = _env("COURSES_REMIND_DAYS_AFTER", "1,7")
    #: Post-class assignment files: largest size and the extensions accepted.
    COURSES_HOMEWORK_MAX_BYTES = _env_int("COURSES_HOMEWORK_MAX_BYTES", 20 * 1024**2)
    COURSES_HOMEWORK_EXTENSIONS = _env(
        "COURSES_HOMEWORK_EXTENSIONS", "pdf,doc,docx,ppt,pptx,xls,xlsx,txt,jpg,jpeg,png"
    )
    #: Largest PDF of a document lesson, and of a course cover image.
    COURSES_DOCUMENT_MAX_BYTES = _env_int("COURSES_DOCUMENT_MAX_BYTES", 50 * 1024**2)
    COURSES_COVER_MAX_BYTES = _env_int("COURSES_COVER_MAX_BYTES", 2 * 1024**2)
    #: Minutes a class check-in code stays valid once the trainer opens check-in.
    COURSES_CHECKIN_MINUTES = _env_int("COURSES_CHECKIN_MINUTES", 10)
    #: Wrong check-in codes a member may type for one class session within the window; further
    #: attempts (a right code too) are refused (429) until the oldest of them leaves the window.
    COURSES_CHECKIN_MAX_FAILURES = _env_int("COURSES_CHECKIN_MAX_FAILURES", 5)
    COURSES_CHECKIN_FAILURE_WINDOW_MINUTES = _env_int("COURSES_CHECKIN_FAILURE_WINDOW_MINUTES", 10)
    #: Minutes after a class starts from which a check-in counts as late.
    COURSES_LATE_AFTER_MINUTES = _env_int("COURSES_LATE_AFTER_MINUTES", 10)
    #: Reading speed used to estimate an article's length when the trainer gives none (characters a minute).
    COURSES_READING_CHARS_PER_MINUTE = _env_int("COURSES_READING_CHARS_PER_MINUTE", 400)
    #: Length of each demo video and audio lesson that ``flask seed-demo`` generates and transcodes.
    COURSES_DEMO_MEDIA_SECONDS = _env_int("COURSES_DEMO_MEDIA_SECONDS", 75)
    # --- end of courses settings ------------------------------------------------------------------

    # --- Knowledge base, Q&A, notices, notifications, home pages (app/kb, app/qa, app/portal, issue 7)
    #: Where article covers and PDF attachments are kept; empty means MEDIA_ROOT/kb.
    KB_UPLOAD_DIR = _env("KB_UPLOAD_DIR")
    #: Largest PDF attachment and cover image of an article.
    KB_MAX_ATTACHMENT_BYTES = _env_int("KB_MAX_ATTACHMENT_BYTES", 20 * 1024**2)
    KB_MAX_COVER_BYTES = _env_int("KB_MAX_COVER_BYTES", 5 * 1024**2)
    #: External notification channels (SMS, e-mail): "package.module:factory" entries, comma-separated;
    #: each factory gets the app and returns a channel (see app/portal/notifications.py).
    NOTIFICATION_CHANNELS: ClassVar[list[str]] = [
        spec.strip() for spec in (_env("NOTIFICATION_CHANNELS") or "").split(",") if spec.strip()
    ]
    #: Read notifications older than this many days are deleted by a daily task.
    NOTIFICATION_RETENTION_DAYS = _env_int("NOTIFICATION_RETENTION_DAYS", 180)
    #: Seconds between worker heartbeats; the admin's home page calls a worker dead after three missed.
    PORTAL_HEARTBEAT_SECONDS = _env_int("PORTAL_HEARTBEAT_SECONDS", 60)
    #: Waiting tasks (all queues together) from which the health panel shows a warning.
    PORTAL_QUEUE_WARNING_LENGTH = _env_int("PORTAL_QUEUE_WARNING_LENGTH", 100)
    # --- end of knowledge base, Q&A and portal settings -------------------------------------------

    # --- Search (search_index/, issue 8) ------------------------------------------------------------
    #: ``whoosh`` (index files under SEARCH_INDEX_DIR, one writer, one machine) or ``postgresql``
    #: (tables in the application's PostgreSQL database: any number of machines and writers).
    SEARCH_BACKEND = _env("SEARCH_BACKEND", "whoosh")
    #: Results per page of the /search page and the API.
    SEARCH_PER_PAGE = _env_int("SEARCH_PER_PAGE", 10)
    #: Seconds a writer waits for the index lock before giving up (the task then retries).
    SEARCH_LOCK_TIMEOUT_SECONDS = float(_env("SEARCH_LOCK_TIMEOUT_SECONDS", "10"))
    #: Milliseconds a search may spend matching; a query matching a large part of the index then
    #: returns the best hits found so far, with an estimated total ("about N results").
    SEARCH_TIME_BUDGET_MS = _env_int("SEARCH_TIME_BUDGET_MS", 30)
    #: Minutes between reconcile passes (index vs database; repairs changes whose message was lost).
    SEARCH_RECONCILE_MINUTES = _env_int("SEARCH_RECONCILE_MINUTES", 60)
    # --- end of search settings -------------------------------------------------------------------

    # --- Member lifecycle (app/membership, issue 15) ----------------------------------------------
    #: 学时 of concentrated training a 发展对象 needs in the ledger (counted from becoming 积极分子).
    MEMBERSHIP_TRAINING_HOURS = _env_int("MEMBERSHIP_TRAINING_HOURS", 24)
    #: Days before a development step's deadline that the people responsible are reminded.
    MEMBERSHIP_REMIND_DAYS = _env_int("MEMBERSHIP_REMIND_DAYS", 7)
    #: Where archive documents are kept (default ``MEDIA_ROOT/membership``).
    MEMBERSHIP_UPLOAD_DIR = _env("MEMBERSHIP_UPLOAD_DIR")
    #: The QR card's signing key id: changing it rotates the key (derived from SECRET_KEY and the id).
    MEMBER_CARD_KEY_ID = _env("MEMBER_CARD_KEY_ID", "1")
    #: Whether cards signed with an earlier key id still verify after a rotation.
    MEMBER_CARD_ACCEPT_RETIRED_KEYS = _env_bool("MEMBER_CARD_ACCEPT_RETIRED_KEYS", True)
    #: Days a printed card stays valid.
    MEMBER_CARD_MAX_AGE_DAYS = _env_int("MEMBER_CARD_MAX_AGE_DAYS", 365)
    # --- end of member lifecycle settings ---------------------------------------------------------

    # --- Members' videos for their works (app/works, issue 17) ------------------------------------
    #: Largest video a member may upload for a work, in MB.
    WORKS_VIDEO_MAX_MB = _env_int("WORKS_VIDEO_MAX_MB", 200)
    #: Longest video a member may upload for a work, in seconds (checked by the probe).
    WORKS_VIDEO_MAX_SECONDS = _env_int("WORKS_VIDEO_MAX_SECONDS", 600)
    #: Uploads a member may have in progress or processing at once.
    WORKS_VIDEO_PENDING_MAX = _env_int("WORKS_VIDEO_PENDING_MAX", 3)
    #: MB a member may start uploading per day (Beijing time).
    WORKS_VIDEO_DAILY_MB = _env_int("WORKS_VIDEO_DAILY_MB", 600)

    # --- Red map (app/assessment/atlas, issue 16) -----------------------------------------------------
    #: A tile server's URL template (``https://tiles.intranet/{z}/{x}/{y}.png``). Empty: the map draws
    #: over the base layer shipped with the platform and no request leaves it. Its origin is added to
    #: the map page's Content-Security-Policy (img-src) only.
    MAP_TILE_URL = _env("MAP_TILE_URL", "")
    MAP_TILE_ATTRIBUTION = _env("MAP_TILE_ATTRIBUTION", "")
    MAP_MAX_ZOOM = _env_int("MAP_MAX_ZOOM", 18)
    # --- end of red map settings ----------------------------------------------------------------------

    #: Largest captions file (WebVTT) of a video or audio lesson.
    COURSES_CAPTIONS_MAX_BYTES = _env_int("COURSES_CAPTIONS_MAX_BYTES", 1024 * 1024)

    # --- xAPI to a learning record store (app/records/lrs.py) ---------------------------------------
    #: Deprecated alias of SITE_URL, read only when SITE_URL is unset (app.core.urls.site_url).
    XAPI_SITE_URL = _env("XAPI_SITE_URL", "")
    #: The LRS's xAPI endpoint (``.../xapi/``; statements go to ``<endpoint>statements``); unset: no sending.
    XAPI_LRS_ENDPOINT = _env("XAPI_LRS_ENDPOINT")
    #: Basic-auth credentials; stores that speak of a key and secret take them here too.
    XAPI_LRS_USERNAME = _env("XAPI_LRS_USERNAME", _env("XAPI_LRS_KEY"))
    XAPI_LRS_PASSWORD = _env("XAPI_LRS_PASSWORD", _env("XAPI_LRS_SECRET"))
    XAPI_SEND_SECONDS = _env_int("XAPI_SEND_SECONDS", 60)
    XAPI_BATCH_SIZE = _env_int("XAPI_BATCH_SIZE", 50)
    XAPI_MAX_BATCHES_PER_RUN = _env_int("XAPI_MAX_BATCHES_PER_RUN", 20)
    XAPI_TIMEOUT_SECONDS = _env_int("XAPI_TIMEOUT_SECONDS", 10)
    #: After a failed send the sender waits this long, doubling with each failure up to the maximum.
    XAPI_BACKOFF_SECONDS = _env_int("XAPI_BACKOFF_SECONDS", 30)
    XAPI_BACKOFF_MAX_SECONDS = _env_int("XAPI_BACKOFF_MAX_SECONDS", 3600)

    #: Largest upload accepted by the web process (member imports); media uploads are chunked.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 64 * 1024 * 1024)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("SESSION_HOURS", 12))
    WTF_CSRF_TIME_LIMIT = None  # tied to the session instead: a long form must not expire mid-typing
    #: Strict-Transport-Security max-age on HTTPS responses (0: no header; production sets a year).
    HSTS_SECONDS = _env_int("HSTS_SECONDS", 0)

    # --- Accounts (app/accounts/) --------------------------------------------------------------------
    #: Wrong passwords for one account from one source address before that source must wait; the
    #: waits then double (1, 2, 4 ... minutes) up to LOGIN_LOCK_MINUTES. Other sources, the owner's
    #: among them, are not affected: nobody can lock someone else out.
    LOGIN_MAX_FAILURES = _env_int("LOGIN_MAX_FAILURES", 10)
    LOGIN_LOCK_MINUTES = _env_int("LOGIN_LOCK_MINUTES", 15)
    #: Days a "remember me" login lasts (its cookie and its server-side session); a login without it
    #: ends after SESSION_HOURS without a request.
    REMEMBER_COOKIE_DURATION = timedelta(days=_env_int("LOGIN_REMEMBER_DAYS", 14))
    #: Lifetime of a new API token, in days, unless its owner picks another of API_TOKEN_DAY_CHOICES.
    API_TOKEN_DAYS = _env_int("API_TOKEN_DAYS", 90)
    API_TOKEN_DAY_CHOICES = (30, 90, 365)
    #: Days a one-time activation code (imported or admin-created members) stays valid.
    ACTIVATION_CODE_DAYS = _env_int("ACTIVATION_CODE_DAYS", 14)
    #: A background job (import, 学时证明 ZIP) running with no heartbeat for this long lost its worker
    #: (OOM, restart, kill -9): the sweep (every minute) fails it so its page stops waiting.
    JOB_STALE_AFTER_SECONDS = _env_int("JOB_STALE_AFTER_SECONDS", 900)
    #: A job still queued (never started) after this long is failed too: it may wait behind others,
    #: but not for hours.
    JOB_QUEUED_STALE_AFTER_SECONDS = _env_int("JOB_QUEUED_STALE_AFTER_SECONDS", 6 * 3600)
    #: Failed logins accepted from one IP address within the window before it is refused.
    LOGIN_IP_MAX_FAILURES = _env_int("LOGIN_IP_MAX_FAILURES", 30)
    LOGIN_IP_WINDOW_MINUTES = _env_int("LOGIN_IP_WINDOW_MINUTES", 15)

    #: Argon2id cost: the OWASP-recommended profile (time 3, 64 MiB) unless lowered for tests.
    ARGON2_TIME_COST = _env_int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST_KIB = _env_int("ARGON2_MEMORY_COST_KIB", 65536)

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES: ClassVar[dict] = {"zh": "简体中文", "en": "English"}

    #: Reverse proxies in front of the app (nginx = 1): trust that many X-Forwarded-For/-Proto hops,
    #: so the per-IP login limit sees the member's address instead of the proxy's.
    PROXY_FIX_HOPS = _env_int("PROXY_FIX_HOPS", 0)

    BOOTSTRAP_SERVE_LOCAL = True
    #: Serve the .br/.gz copies ``flask static compress`` writes (off when a proxy compresses).
    STATIC_PRECOMPRESSED = _env_bool("STATIC_PRECOMPRESSED", True)
    ITEMS_PER_PAGE = _env_int("ITEMS_PER_PAGE", 20)
    #: Most rows one page of any list (a page or the API) holds, whatever ``?per_page=`` asks for.
    MAX_PER_PAGE = _env_int("MAX_PER_PAGE", 100)

    @classmethod
    def init_app(cls, app) -> None:
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = _local_secret_key()


class ProdConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    HSTS_SECONDS = _env_int("HSTS_SECONDS", 365 * 24 * 3600)
    REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)

    @classmethod
    def init_app(cls, app) -> None:
        if not app.config.get("SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set in the environment for the production configuration")


class TestConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105 -- fixed so tests are repeatable; never used outside tests
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", "sqlite://")
    CELERY_TASK_ALWAYS_EAGER = _env_bool("CELERY_TASK_ALWAYS_EAGER", True)
    CELERY_BROKER_URL = _env("CELERY_BROKER_URL", "memory://")
    CELERY_RESULT_BACKEND = _env("CELERY_RESULT_BACKEND", "cache+memory://")
    WTF_CSRF_ENABLED = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST_KIB = 1024
    # Media: a short duration limit so the "too long" fixture stays small.
    MEDIA_MAX_DURATION_SECONDS = 20
    MEDIA_LEASE_HEARTBEAT = _env_bool("MEDIA_LEASE_HEARTBEAT", False)
    # Courses: seed-demo's videos kept to two seconds, so tests that seed stay quick.
    COURSES_DEMO_MEDIA_SECONDS = 2


CONFIGS = {"development": Config, "production": ProdConfig, "testing": TestConfig}


def config_from_environment() -> type[Config]:
    """``HONGKE_CONFIG`` picks the configuration class; the embedded defaults when unset."""
    name = _env("HONGKE_CONFIG", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"HONGKE_CONFIG must be one of {', '.join(CONFIGS)}, not {name!r}")
    return CONFIGS[name]

import enum
import hashlib
import secrets
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.clock import utcnow
from app.core.jsi18n import N_
from app.core.models import TimestampMixin
from app.core.types import UTCDateTime, enum_column
from app.extensions import db


# The enums here with their label dicts (Role, Gender, MemberCategory, BranchPosition) are alike in
# shape to each other, quiz's, portal's NoticeKind and media_pipeline's AssetStatus, kept apart:
# each enum is one column's own values and labels.
class Role(enum.StrEnum):
    MEMBER = "member"
    TRAINER = "trainer"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.MEMBER: _l("学员"),
    Role.TRAINER: _l("讲师"),
    Role.COORDINATOR: _l("组织员"),
    Role.ADMIN: _l("管理员"),
}


class Gender(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"


#: Chinese names (N_ marks them for translation): also the member import's vocabulary, since the
#: import template is written in Chinese whatever the page's language.
GENDER_NAMES = {Gender.MALE: N_("男"), Gender.FEMALE: N_("女")}
#: The same in the reader's language (evaluated when shown).
GENDER_LABELS = {key: _l(name) for key, name in GENDER_NAMES.items()}


class MemberCategory(enum.StrEnum):
    FULL = "full"
    PROBATIONARY = "probationary"
    CANDIDATE = "candidate"
    ACTIVIST = "activist"
    #: 入党申请人: set by the 申请入党 step of the 发展党员 workflow (app.membership).
    APPLICANT = "applicant"
    MASSES = "masses"


CATEGORY_NAMES = {
    MemberCategory.FULL: N_("正式党员"),
    MemberCategory.PROBATIONARY: N_("预备党员"),
    MemberCategory.CANDIDATE: N_("发展对象"),
    MemberCategory.ACTIVIST: N_("入党积极分子"),
    MemberCategory.APPLICANT: N_("入党申请人"),
    MemberCategory.MASSES: N_("群众"),
}
CATEGORY_LABELS = {key: _l(name) for key, name in CATEGORY_NAMES.items()}


# Alike in shape to MemberCategory above (see the note above Role), kept apart: own values.
class BranchPosition(enum.StrEnum):
    SECRETARY = "secretary"
    DEPUTY_SECRETARY = "deputy_secretary"
    COMMITTEE = "committee"
    MEMBER = "member"


POSITION_NAMES = {
    BranchPosition.SECRETARY: N_("书记"),
    BranchPosition.DEPUTY_SECRETARY: N_("副书记"),
    BranchPosition.COMMITTEE: N_("委员"),
    BranchPosition.MEMBER: N_("党员"),
}
POSITION_LABELS = {key: _l(name) for key, name in POSITION_NAMES.items()}


# Alike in shape to the enums above (see the note above Role), kept apart: own values.
class Education(enum.StrEnum):
    JUNIOR = "junior"
    SENIOR = "senior"
    COLLEGE = "college"
    BACHELOR = "bachelor"
    MASTER = "master"
    DOCTOR = "doctor"


#: Highest education completed (学历), lowest first: the statistics show them in this order.
EDUCATION_NAMES = {
    Education.JUNIOR: N_("初中及以下"),
    Education.SENIOR: N_("高中/中专"),
    Education.COLLEGE: N_("大专"),
    Education.BACHELOR: N_("本科"),
    Education.MASTER: N_("硕士"),
    Education.DOCTOR: N_("博士"),
}
EDUCATION_LABELS = {key: _l(name) for key, name in EDUCATION_NAMES.items()}


class UserRole(db.Model):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), primary_key=True)


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 工号, the login name people know; unique across the enterprise.
    employee_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    gender: Mapped[Gender | None] = mapped_column(enum_column(Gender, "gender"))
    #: Mainland mobile number, 11 digits; a second login name.
    mobile: Mapped[str | None] = mapped_column(sa.String(11), unique=True)
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branch.id", ondelete="RESTRICT"), index=True)
    category: Mapped[MemberCategory | None] = mapped_column(enum_column(MemberCategory, "member_category"))
    #: 入党日期 (for probationary members, the date admitted as 预备党员).
    joined_party_on: Mapped[date | None]
    position: Mapped[BranchPosition | None] = mapped_column(enum_column(BranchPosition, "branch_position"))
    #: 出生日期: the statistics' age bands.
    birth_date: Mapped[date | None]
    #: 学历, the highest completed.
    education: Mapped[Education | None] = mapped_column(enum_column(Education, "education"))

    #: Argon2id hash. ``None`` for accounts that have not yet set a password: imported and
    #: admin-created members log in once with a one-time activation code and must then set one.
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    must_change_password: Mapped[bool] = mapped_column(default=False)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    #: Part of every login session's id: rotating it (password change, "log out everywhere", admin
    #: reset, disabling) ends every session and remember-me cookie of the account at once.
    auth_nonce: Mapped[str] = mapped_column(sa.String(32), default=lambda: secrets.token_hex(16))
    #: Keyed hash of the one-time activation code (see ``passwords.hash_activation_code``); kept after
    #: use so that a used code gets its own message.
    activation_code_hash: Mapped[str | None] = mapped_column(sa.String(64))
    activation_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: When the member set their password with the code; a used code never logs in again.
    activation_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: For display only (user list, admin page): failures since the last success, from any source,
    #: and the latest moment until which some source must wait. Logins are throttled per
    #: (account, source address) by :class:`LoginThrottle`, so nobody can lock the owner out.
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    #: 关怀版: large text and high contrast on every page, switched on once by the member.
    care_mode: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    role_rows: Mapped[list[UserRole]] = relationship(cascade="all, delete-orphan", lazy="selectin")
    branch = relationship("Branch", lazy="joined")

    #: The login session this object was loaded for (or started with) in the current request;
    #: not a column. ``get_id`` then names that session, so Flask-Login's session value and its
    #: remember-me cookie carry a random, server-checked, revocable token instead of the bare id.
    login_token = None
    login_session_id = None

    def get_id(self) -> str:
        if self.login_token is None:
            return str(self.id)  # bearer-token API requests: never written to a cookie
        return f"{self.id}:{self.auth_nonce}:{self.login_token}"

    def __repr__(self) -> str:
        return f"<User {self.employee_no} {self.name}>"

    def __str__(self) -> str:
        return f"{self.name}({self.employee_no})"

    @property
    def roles(self) -> set[Role]:
        return {row.role for row in self.role_rows}

    def set_roles(self, roles) -> None:
        wanted = {Role(r) for r in roles}
        self.role_rows = [row for row in self.role_rows if row.role in wanted] + [
            UserRole(role=r) for r in sorted(wanted - self.roles)
        ]

    def has_role(self, role: str) -> bool:
        return Role(role) in self.roles

    def has_any_role(self, *roles: str) -> bool:
        """True if the user holds one of ``roles``; admins pass every role check."""
        mine = self.roles
        return Role.ADMIN in mine or any(Role(r) in mine for r in roles)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot log in or stay logged in
        return self.is_active_account

    @classmethod
    def hold(cls, user_id: int) -> None:
        """One member's writers that must not interleave (two page views starting, two steps of one
        development file, two uploads counted against one quota) queue here, until the transaction
        ends. ``FOR NO KEY UPDATE`` on PostgreSQL: rows that only point at the member (points,
        certificates, notifications) still insert meanwhile, so a holder waiting for, say, the
        member's points head never waits in a circle with an award holding that head. On SQLite the
        one writer is the queue."""
        db.session.execute(sa.select(cls.id).where(cls.id == user_id).with_for_update(key_share=True))

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and self.locked_until > now

    @property
    def is_awaiting_activation(self) -> bool:
        """Created without a password and not yet activated with a code."""
        return self.password_hash is None

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS.get(self.category, "") if self.category else ""

    @property
    def position_label(self) -> str:
        return POSITION_LABELS.get(self.position, "") if self.position else ""

    @property
    def education_label(self) -> str:
        return EDUCATION_LABELS.get(self.education, "") if self.education else ""

    @property
    def gender_label(self) -> str:
        return GENDER_LABELS.get(self.gender, "") if self.gender else ""

    @property
    def role_labels(self) -> list[str]:
        return [ROLE_LABELS[r] for r in Role if r in self.roles]


class LoginFailure(db.Model):
    """One failed login, kept for the per-IP limit; purged by a periodic task after the window."""

    __tablename__ = "login_failure"
    __table_args__ = (sa.Index("ix_login_failure_ip_at", "ip", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ip: Mapped[str] = mapped_column(sa.String(45))
    #: What was typed as the login name (truncated), for investigating attacks.
    identifier: Mapped[str] = mapped_column(sa.String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LoginThrottle(db.Model):
    """Failed logins for one account (or one unknown login name) from one source address.

    After ``LOGIN_MAX_FAILURES`` failures the source waits 1, 2, 4 ... minutes (capped) before it may
    try that account again; the owner, from anywhere else, is not affected.
    """

    __tablename__ = "login_throttle"

    #: ``u:<user id>`` for an account, ``n:<login name as typed>`` for a name that matches nobody,
    #: so that unknown and real accounts are throttled, and answered, alike.
    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    ip: Mapped[str] = mapped_column(sa.String(45), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    #: How many waits this source has been given; the next wait doubles.
    delays: Mapped[int] = mapped_column(default=0)
    wait_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class LoginSession(db.Model):
    """One signed-in browser. Its id travels in the session and remember-me cookies as a random
    token (only the SHA-256 is stored); revoking the row ends that browser's session even if its
    cookies were copied elsewhere."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The user's ``auth_nonce`` when the session started; a rotated nonce ends the session.
    auth_nonce: Mapped[str] = mapped_column(sa.String(32))
    #: "Remember me": a fixed lifetime of days; otherwise the session ends after hours of idleness.
    is_remembered: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Updated at most once a minute, so ordinary page views do not each write.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ip: Mapped[str] = mapped_column(sa.String(45), default="")
    user_agent: Mapped[str] = mapped_column(sa.String(255), default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped["User"] = relationship(lazy="raise")

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now

    @property
    def device(self) -> str:
        """A short, human description of the browser, from its User-Agent."""
        ua = self.user_agent or ""
        system = next(
            (
                label
                for needle, label in (
                    ("iPhone", "iPhone"),
                    ("iPad", "iPad"),
                    ("Android", "Android"),
                    ("HarmonyOS", _("鸿蒙")),
                    ("Windows", "Windows"),
                    ("Mac OS X", "Mac"),
                    ("Linux", "Linux"),
                )
                if needle in ua
            ),
            "",
        )
        browser = next(
            (
                label
                for needle, label in (
                    ("MicroMessenger", _("微信")),
                    ("Edg/", "Edge"),
                    ("Chrome/", "Chrome"),
                    ("Firefox/", "Firefox"),
                    ("Safari/", "Safari"),
                )
                if needle in ua
            ),
            "",
        )
        return " · ".join(part for part in (system, browser) if part) or (ua[:40] or _("未知设备"))


class ApiToken(db.Model):
    """A personal API token. Only its SHA-256 is stored; the token itself is shown once."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The first characters of the token, to tell tokens apart in lists.
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: Every token expires; the owner picks 30, 90 or 365 days when creating it.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: A read-only token may only GET (and HEAD) the API.
    is_read_only: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(lazy="joined")

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and self.expires_at > now


class ImportJob(db.Model):
    """A background job and its progress page: a bulk import (members, questions: the uploaded file,
    its progress and its per-row report) or an export written to disk (a branch's 学时证明 ZIP)."""

    __tablename__ = "import_job"
    __table_args__ = (sa.Index("ix_import_job_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filename: Mapped[str] = mapped_column(sa.String(255))
    #: Imports: where the upload was saved under IMPORT_DIR, removed when the job ends. Exports: the
    #: finished file under EXPORT_DIR, removed when it expires.
    stored_path: Mapped[str] = mapped_column(sa.String(500))
    #: pending → running → done | rejected (validation errors, nothing written) | failed (unexpected);
    #: an export's file, once swept, leaves its job ``expired``
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    #: Touched whenever the job's progress is saved (and when it is queued and starts): a job pending
    #: or running with no heartbeat for ``JOB_STALE_AFTER_SECONDS`` lost its worker and is failed by
    #: :func:`app.accounts.jobs.sweep_stale_jobs`. ``None`` on jobs older than the column.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    created_count: Mapped[int] = mapped_column(default=0)
    updated_count: Mapped[int] = mapped_column(default=0)
    #: A file-level problem (unreadable, wrong columns), in Chinese.
    message: Mapped[str | None] = mapped_column(sa.Text)
    #: Per-row problems: ``[{"row": 3, "field": "手机号", "message": "..."}]``.
    errors: Mapped[list | None] = mapped_column(sa.JSON)
    #: Ids of the accounts this import created, whose activation slips it prints.
    created_user_ids: Mapped[list | None] = mapped_column(sa.JSON)
    #: Random secret from which this job's activation codes were derived (with SECRET_KEY). Erased
    #: the moment the slips are shown, so the codes can never be shown, or derived, again.
    slip_secret: Mapped[str | None] = mapped_column(sa.String(64))
    slip_shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: What is imported: ``members`` or ``questions``; or exported: ``branch_proofs`` (one job and
    #: progress mechanism for all).
    kind: Mapped[str] = mapped_column(sa.String(16), default="members", server_default="members")
    #: The importer's options, e.g. ``{"category": "党章"}`` for questions.
    params: Mapped[dict | None] = mapped_column(sa.JSON)
    #: Rows left out on purpose (questions already in the bank).
    skipped_count: Mapped[int] = mapped_column(default=0, server_default="0")

    created_by: Mapped[User | None] = relationship(lazy="joined")

    @property
    def is_finished(self) -> bool:
        return self.status in {"done", "rejected", "failed", "expired"}

    @classmethod
    def recent_of(cls, user: User, kind: str, limit: int = 10) -> list["ImportJob"]:
        """``user``'s latest imports of ``kind``, newest first, for the import page's list."""
        return db.session.scalars(
            sa.select(cls)
            .where(cls.kind == kind, cls.created_by_id == user.id)
            .order_by(cls.id.desc())
            .limit(limit)
        ).all()

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

"""Certificates issued from the ledger: a course's 结业证书 and a year's 学时证明, with serials.

A certificate freezes its facts (name, course or year, hours, date) when it is issued and gets a
serial of 20 random characters from a 32-letter alphabet (100 bits, from :mod:`secrets`): nobody
finds a valid serial by trying, so the public verification page needs no login and answers only
"this serial, these facts" or "unknown". Asking again for the same facts hands back the same
certificate (one serial per fact set, not one per download), even when two ask at once: a unique index
over the live certificates' facts lets only one be written.

It covers the member's ledger entries of its course (or year) up to ``last_entry_id``. Reversing any
of them (:func:`app.records.services.ledger.reverse_entry`, also the first half of a correction)
revokes it: the verification page then says so, and a new certificate with the new facts can be
issued.
"""

import secrets
from collections.abc import Callable
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import User
from app.core import audit
from app.core.clock import LOCAL_TZ, utcnow
from app.core.transactions import insert_in_savepoint
from app.extensions import db
from app.org.models import Branch
from app.records.models import Certificate, HoursEntry, HoursTotal
from app.records.services.base import RecordsError
from app.records.services.targets import completed_courses

#: Members whose 学时证明 are issued between two progress updates of a background export.
ISSUE_BATCH = 50

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read off paper without doubt
SERIAL_CHARS = 20
GROUP = 5


def new_serial() -> str:
    """``HK-XXXXX-XXXXX-XXXXX-XXXXX``: 100 random bits."""
    raw = "".join(secrets.choice(ALPHABET) for _n in range(SERIAL_CHARS))
    return "HK-" + "-".join(raw[i : i + GROUP] for i in range(0, SERIAL_CHARS, GROUP))


def normalise_serial(text: str) -> str | None:
    """A serial as someone typed it (any case, spaces, missing dashes) in its stored form, or None."""
    raw = "".join(ch for ch in (text or "").upper() if ch.isalnum())
    raw = raw.removeprefix("HK")
    if len(raw) != SERIAL_CHARS or any(ch not in ALPHABET for ch in raw):
        return None
    return "HK-" + "-".join(raw[i : i + GROUP] for i in range(0, SERIAL_CHARS, GROUP))


def mask_name(name: str) -> str:
    """张*明, 王*, 欧**娜: enough to match a person holding the paper, not to read a staff list."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _last_entry_id(user_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.max(HoursEntry.id), 0)).where(HoursEntry.user_id == user_id)
    )


def _live(user_id: int, kind: str, hours: Decimal, **facts) -> Certificate | None:
    query = sa.select(Certificate).where(
        Certificate.user_id == user_id,
        Certificate.kind == kind,
        Certificate.revoked_at.is_(None),
        Certificate.twin_of_id.is_(None),
        Certificate.hours == hours,
    )
    for name, value in facts.items():
        query = query.where(getattr(Certificate, name) == value)
    return db.session.scalars(query.order_by(Certificate.id.desc()).limit(1)).first()


def _issue(member: User, kind: str, title: str, hours: Decimal, completed_at, **facts) -> Certificate:
    existing = _live(member.id, kind, hours, **facts)
    if existing is not None:
        return existing
    certificate = Certificate(
        serial=new_serial(),
        user_id=member.id,
        kind=kind,
        title=title[:200],
        holder_name=member.name[:64],
        hours=hours,
        completed_at=completed_at,
        issued_at=utcnow(),
        last_entry_id=_last_entry_id(member.id),
        revoked_reason="",
        **facts,
    )
    if insert_in_savepoint(certificate):
        return certificate
    # Issued at this very moment by another request or export (the live-facts unique index): hand
    # back that one, as asking again would.
    existing = _live(member.id, kind, hours, **facts)
    if existing is None:
        raise RecordsError(_("证书签发冲突，请重试。"), 409)
    return existing


def issue_course_certificate(member: User, course_id: int) -> Certificate:
    """The 结业证书 of a course ``member`` completed, with the hours the ledger holds for it."""
    done = next((c for c in completed_courses(member.id) if c.course_id == course_id), None)
    if done is None:
        raise RecordsError(_("尚未完成该课程，不能出具结业证书。"), 404)
    hours = Decimal(done.hours).quantize(Decimal("0.01"))
    if hours <= 0:
        raise RecordsError(_("该课程的学时已被冲销，不能出具结业证书。"), 409)
    return _issue(member, "course", done.title, hours, done.completed_at, course_id=course_id)


def year_hours(user_id: int, year: int) -> Decimal:
    total = db.session.scalar(
        sa.select(HoursTotal.hours).where(HoursTotal.user_id == user_id, HoursTotal.year == year)
    )
    return Decimal(str(total or 0)).quantize(Decimal("0.01"))


def issue_annual_proof(member: User, year: int) -> Certificate:
    """The 学时证明 of ``year``: the member's hours of that year as of today."""
    hours = year_hours(member.id, year)
    if hours <= 0:
        raise RecordsError(_("%(year)s 年没有学时记录，不能出具学时证明。", year=year), 404)
    title = _("%(year)s 年度学时证明", year=year)
    return _issue(member, "annual", title, hours, utcnow(), year=year)


def branch_proofs(
    branch: Branch, year: int, actor: User, progress: Callable[[int, int], None] | None = None
) -> list[int]:
    """Issue (or find) the 学时证明 of ``year`` for every active member of ``branch``'s subtree with
    hours that year; their ids, in branch and staff-number order, for a bundle to render.
    ``progress(issued, members)`` is called at the start and after every batch (it may commit: the
    members are read afresh per batch)."""
    member_ids = db.session.scalars(
        sa.select(User.id)
        .join(Branch, User.branch_id == Branch.id)
        .join(HoursTotal, sa.and_(HoursTotal.user_id == User.id, HoursTotal.year == year))
        .where(Branch.subtree_filter(branch.path), User.is_active_account.is_(True), HoursTotal.hours > 0)
        .order_by(Branch.path, User.employee_no)
    ).all()
    if progress:
        progress(0, len(member_ids))
    ids: list[int] = []
    for start in range(0, len(member_ids), ISSUE_BATCH):
        chunk = member_ids[start : start + ISSUE_BATCH]
        by_id = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(chunk)))}
        ids += [issue_annual_proof(by_id[i], year).id for i in chunk]
        if progress:
            progress(len(ids), len(member_ids))
    audit.record(
        actor, "hours.branch_proofs", branch, f"下载 {branch.name} {year} 年学时证明（{len(ids)} 份）"
    )
    return ids


def revoke_for_entry(entry: HoursEntry, reason: str) -> int:
    """Revoke the live certificates that counted ``entry`` (now reversed); how many."""
    covers = Certificate.kind == "annual"
    covers = sa.and_(covers, Certificate.year == entry.year)
    if entry.course_id is not None:
        covers = sa.or_(
            covers, sa.and_(Certificate.kind == "course", Certificate.course_id == entry.course_id)
        )
    return db.session.execute(
        sa.update(Certificate)
        .where(
            Certificate.user_id == entry.user_id,
            Certificate.revoked_at.is_(None),
            Certificate.last_entry_id >= entry.id,
            covers,
        )
        .values(revoked_at=utcnow(), revoked_reason=(reason or "")[:500])
        .execution_options(synchronize_session=False)
    ).rowcount


def find_by_serial(text: str) -> Certificate | None:
    serial = normalise_serial(text)
    if serial is None:
        return None
    return db.session.scalar(sa.select(Certificate).where(Certificate.serial == serial))


def public_facts(certificate: Certificate) -> dict:
    """What the verification page shows: the name masked, nothing that identifies the account."""
    return {
        "serial": certificate.serial,
        "name": mask_name(certificate.holder_name),
        "kind": certificate.kind,
        "title": certificate.title,
        "year": certificate.year,
        "hours": certificate.hours,
        "date": certificate.completed_at.astimezone(LOCAL_TZ).date(),
        "issued_on": certificate.issued_at.astimezone(LOCAL_TZ).date(),
        "revoked": certificate.is_revoked,
        "revoked_on": certificate.revoked_at.astimezone(LOCAL_TZ).date() if certificate.revoked_at else None,
    }

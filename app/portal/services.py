"""Notices (党务公开): who may publish to whom, who may see what, read receipts.

Audience rule used by the page, the API and the notifications alike: a published notice reaches
the members of its branch and of every branch under it (the whole company when it has no branch).
A member of another branch never sees it. Coordinators manage the notices of their subtree;
only admins publish to the whole company.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden, NotFound

from app.accounts.models import User
from app.core import audit
from app.core.clock import utcnow
from app.core.errors import DomainError
from app.core.signals import notification_requested
from app.core.text import plain_text
from app.core.transactions import insert_in_savepoint
from app.core.urls import site_path
from app.extensions import db
from app.org.models import Branch
from app.org.services import can_manage_branch, scope_path, visible_branches
from app.portal.models import NOTICE_BODY_MAX, NOTICE_TITLE_MAX, Notice, NoticeKind, NoticeRead


class NoticeError(DomainError):
    """A problem the user caused; ``field`` names the input at fault."""


# --- permissions ----------------------------------------------------------------------------------


def can_publish(user: User) -> bool:
    return user.is_authenticated and scope_path(user) is not None


def can_manage(user: User, notice: Notice) -> bool:
    """Edit, publish, withdraw and see receipts: admins always, coordinators inside their subtree."""
    if user.is_admin:
        return True
    return notice.branch is not None and can_manage_branch(user, notice.branch)


def reaches(user: User, notice: Notice) -> bool:
    """True if ``notice`` is addressed to ``user`` (published, and their branch is inside its audience)."""
    if not notice.is_published:
        return False
    if notice.branch is None:
        return True
    return user.branch is not None and notice.branch.contains(user.branch)


def can_read(user: User, notice: Notice) -> bool:
    return reaches(user, notice) or can_manage(user, notice)


def get_notice_for(notice_id: int, user: User, *, manage: bool = False) -> Notice:
    """A notice ``user`` may read (or manage). Notices they may not see are 404, not 403: their
    existence is none of another branch's business."""
    notice = db.session.get(Notice, notice_id)
    if notice is None or not can_read(user, notice):
        raise NotFound()
    if manage and not can_manage(user, notice):
        raise Forbidden()
    return notice


def _reach_condition(user: User):
    """SQL: published notices addressed to ``user`` (whole company, or an ancestor-or-self branch)."""
    ancestors = user.branch.ancestor_ids if user.branch is not None else []
    return sa.and_(
        Notice.published_at.is_not(None),
        sa.or_(Notice.branch_id.is_(None), Notice.branch_id.in_(ancestors) if ancestors else sa.false()),
    )


def visible_notices_query(user: User, kind: str | None = None):
    """Notices ``user`` may see, newest first: those addressed to them, plus, for coordinators and
    admins, those they manage (drafts included)."""
    prefix = scope_path(user)
    query = sa.select(Notice).outerjoin(Branch, Notice.branch_id == Branch.id)
    if prefix == "":
        condition = sa.true()
    elif prefix is not None:
        condition = sa.or_(_reach_condition(user), Branch.subtree_filter(prefix))
    else:
        condition = _reach_condition(user)
    query = query.where(condition)
    if kind:
        query = query.where(Notice.kind == NoticeKind(kind))
    return query.order_by(Notice.published_at.is_(None).desc(), Notice.published_at.desc(), Notice.id.desc())


def latest_for(user: User, limit: int = 5) -> list[tuple[Notice, bool]]:
    """The newest notices addressed to ``user`` with whether they have read each (one query)."""
    read = (
        sa.select(NoticeRead.notice_id)
        .where(NoticeRead.notice_id == Notice.id, NoticeRead.user_id == user.id)
        .exists()
        .label("is_read")
    )
    rows = db.session.execute(
        sa.select(Notice, read)
        .where(_reach_condition(user))
        .order_by(Notice.published_at.desc(), Notice.id.desc())
        .limit(limit)
    ).all()
    return [(notice, bool(is_read)) for notice, is_read in rows]


def pending_receipts(user: User) -> int:
    """Notices addressed to ``user`` that ask for a receipt they have not given."""
    return db.session.scalar(
        sa.select(sa.func.count(Notice.id)).where(
            _reach_condition(user),
            Notice.requires_receipt.is_(True),
            ~sa.select(NoticeRead.notice_id)
            .where(NoticeRead.notice_id == Notice.id, NoticeRead.user_id == user.id)
            .exists(),
        )
    )


def target_choices(user: User) -> list[tuple[int, str]]:
    """Where ``user`` may publish: ``0`` is the whole company (admins only), then their branches."""
    branches = visible_branches(user)
    base = branches[0].depth if branches else 0
    choices = [(0, _("全公司"))] if scope_path(user) == "" else []
    return choices + [(b.id, "　" * (b.depth - base) + b.name) for b in branches]


# --- writing --------------------------------------------------------------------------------------


@dataclass
class NoticeData:
    kind: str
    title: str
    body: str
    branch_id: int | None
    requires_receipt: bool = False
    starts_at: datetime | None = None
    location: str = ""


def _check(data: NoticeData, actor: User) -> tuple[NoticeKind, Branch | None]:
    try:
        kind = NoticeKind(data.kind)
    except ValueError:
        raise NoticeError(_("请选择类别"), field="kind") from None
    if not (data.title or "").strip():
        raise NoticeError(_("请填写标题"), field="title")
    if len(data.title.strip()) > NOTICE_TITLE_MAX:
        raise NoticeError(
            _("标题不能超过 %(notice_title_max)s 个字", notice_title_max=NOTICE_TITLE_MAX), field="title"
        )
    if not (data.body or "").strip():
        raise NoticeError(_("请填写正文"), field="body")
    if len(data.body) > NOTICE_BODY_MAX:
        raise NoticeError(
            _("正文不能超过 %(notice_body_max)s 个字", notice_body_max=NOTICE_BODY_MAX), field="body"
        )
    if len(data.location or "") > 200:
        raise NoticeError(_("地点不能超过 200 个字"), field="location")
    if data.branch_id:
        branch = db.session.get(Branch, data.branch_id)
        if branch is None or not can_manage_branch(actor, branch):
            raise NoticeError(_("您只能向自己管理的组织发布"), field="branch_id")
    else:
        if not actor.is_admin:
            raise NoticeError(_("只有管理员可以向全公司发布，请选择组织"), field="branch_id")
        branch = None
    return kind, branch


def create_notice(data: NoticeData, actor: User, publish: bool = False) -> Notice:
    if not can_publish(actor):
        raise Forbidden(_("只有组织员和管理员可以发布党务公开。"))
    kind, branch = _check(data, actor)
    notice = Notice(
        kind=kind,
        title=data.title.strip(),
        body=data.body.replace("\r\n", "\n"),
        branch=branch,
        author_id=actor.id,
        requires_receipt=bool(data.requires_receipt),
        starts_at=data.starts_at,
        location=(data.location or "").strip(),
    )
    db.session.add(notice)
    db.session.flush()
    audit.record(
        actor, "notice.create", notice, f"撰写党务公开《{notice.title}》", {"branch_id": notice.branch_id}
    )
    if publish:
        publish_notice(notice, actor)
    return notice


def update_notice(notice: Notice, data: NoticeData, actor: User) -> Notice:
    if not can_manage(actor, notice):
        raise Forbidden()
    kind, branch = _check(data, actor)
    if notice.is_published and (branch.id if branch else None) != notice.branch_id:
        # Narrowing a published notice would leave receipts (and notifications) outside its audience.
        raise NoticeError(_("已发布的公开不能改变发布范围；请撤回后重新发布"), field="branch_id")
    notice.kind, notice.branch = kind, branch
    notice.title, notice.body = data.title.strip(), data.body.replace("\r\n", "\n")
    notice.requires_receipt = bool(data.requires_receipt)
    notice.starts_at, notice.location = data.starts_at, (data.location or "").strip()
    db.session.flush()
    audit.record(actor, "notice.update", notice, f"修改党务公开《{notice.title}》")
    return notice


def audience_query(notice: Notice, within: str | None = None):
    """Active users the notice is addressed to, optionally narrowed to the subtree at ``within``."""
    query = sa.select(User).where(User.is_active_account.is_(True))
    paths = [p for p in (notice.branch.path if notice.branch else "", within or "") if p]
    if paths:
        query = query.join(Branch, User.branch_id == Branch.id).where(
            Branch.subtree_filter(max(paths, key=len))
        )
    else:
        query = query.outerjoin(Branch, User.branch_id == Branch.id)
    return query


def publish_notice(notice: Notice, actor: User) -> Notice:
    """Publish a draft and notify its audience (and nobody else)."""
    if not can_manage(actor, notice):
        raise Forbidden()
    if notice.is_published:
        raise NoticeError(_("已经发布过了"))
    notice.published_at = utcnow()
    db.session.flush()
    audit.record(
        actor, "notice.publish", notice, f"发布党务公开《{notice.title}》", {"branch_id": notice.branch_id}
    )
    _announce(notice, actor)
    return notice


def publish_linked_news(actor: User, title: str, summary: str, url: str, source: str) -> Notice:
    """A company-wide news item another domain asks for (``news_requested``): published at once,
    its body the summary and a link to ``url`` (a path on this site, nothing else)."""
    if not isinstance(url, str) or not url.startswith("/") or url.startswith("//"):
        raise NoticeError(_("新闻动态只能链接到本站页面"))
    title = " ".join((title or "").split())[:NOTICE_TITLE_MAX] or "新闻动态"
    summary = " ".join((summary or "").split())[:2000].replace("[", "［").replace("]", "］")
    notice = Notice(
        kind=NoticeKind.NEWS,
        title=title,
        body=f"{summary}\n\n[查看详情]({url})",
        branch=None,
        author_id=actor.id,
        published_at=utcnow(),
    )
    db.session.add(notice)
    db.session.flush()
    audit.record(
        actor, "notice.publish", notice, f"发布新闻动态《{notice.title}》", {"source": source, "url": url}
    )
    _announce(notice, actor)
    return notice


def on_news_requested(sender, **kwargs) -> None:
    """Receiver of ``news_requested`` (see its docstring for the arguments)."""
    sender_name = sender if isinstance(sender, str) else getattr(sender, "__name__", str(sender))
    publish_linked_news(
        kwargs["actor"],
        kwargs.get("title") or "",
        kwargs.get("summary") or "",
        kwargs.get("url"),
        sender_name,
    )


def _announce(notice: Notice, actor: User) -> None:
    """Notify a published notice's audience (and nobody else)."""
    user_ids = [
        i for i in db.session.scalars(audience_query(notice).with_only_columns(User.id)) if i != actor.id
    ]
    scope = notice.branch.name if notice.branch else "全公司"
    notification_requested.send(
        "portal",
        user_ids=user_ids,
        title=f"{notice.kind_name}：{notice.title}",
        body=("【需回执】" if notice.requires_receipt else "") + f"{scope} · " + plain_text(notice.body, 120),
        url=site_path("portal.notice", notice_id=notice.id),
        kind="notice.published",
    )


def withdraw_notice(notice: Notice, actor: User) -> Notice:
    """Take a published notice back to draft (receipts are kept for when it is published again)."""
    if not can_manage(actor, notice):
        raise Forbidden()
    if not notice.is_published:
        raise NoticeError(_("这条公开还没有发布"))
    notice.published_at = None
    db.session.flush()
    audit.record(actor, "notice.withdraw", notice, f"撤回党务公开《{notice.title}》")
    return notice


def delete_notice(notice: Notice, actor: User) -> None:
    if not can_manage(actor, notice):
        raise Forbidden()
    audit.record(actor, "notice.delete", notice, f"删除党务公开《{notice.title}》")
    db.session.delete(notice)
    db.session.flush()


# --- reading and receipts -------------------------------------------------------------------------


def has_read(notice: Notice, user: User) -> bool:
    return db.session.get(NoticeRead, (notice.id, user.id)) is not None


def mark_notice_read(notice: Notice, user: User, *, confirm: bool = False) -> bool:
    """Record that ``user`` read ``notice``. A notice that asks for a receipt is only marked on
    ``confirm`` (the reader's button). Safe against a double click; returns True if newly recorded."""
    if not reaches(user, notice):
        return False
    if notice.requires_receipt and not confirm:
        return False
    if has_read(notice, user):
        return False
    if not insert_in_savepoint(NoticeRead(notice_id=notice.id, user_id=user.id, read_at=utcnow())):
        return False  # the same reader's other tab got there first
    if confirm:
        audit.record(user, "notice.receipt", notice, f"确认已读《{notice.title}》")
    return True


def readers_scope(user: User, notice: Notice) -> str | None:
    """The subtree whose readers ``user`` may look at for ``notice``: ``""`` for all (admins),
    a path, or ``None`` when they may not (members; coordinators of unrelated branches)."""
    prefix = scope_path(user)
    if prefix is None:
        return None
    if prefix == "":
        return ""
    notice_path = notice.branch.path if notice.branch else ""
    if prefix.startswith(notice_path) or notice_path.startswith(prefix):
        return prefix
    return None


def receipt_summary(notice: Notice, within: str) -> list[dict]:
    """Per branch of the audience (inside ``within``): members addressed and members who have read —
    one aggregate query."""
    read = sa.case((NoticeRead.user_id.is_not(None), 1), else_=0)
    query = (
        audience_query(notice, within)
        .outerjoin(NoticeRead, sa.and_(NoticeRead.notice_id == notice.id, NoticeRead.user_id == User.id))
        .with_only_columns(Branch.id, Branch.name, Branch.path, sa.func.count(User.id), sa.func.sum(read))
        .group_by(Branch.id, Branch.name, Branch.path)
        .order_by(Branch.path)
    )
    rows = db.session.execute(query).all()
    return [
        {"branch_id": bid, "name": name or _("（未分配组织）"), "total": total, "read": int(done or 0)}
        for bid, name, _path, total, done in rows
    ]


def readers_query(notice: Notice, within: str, *, has_read_it: bool):
    """Members of the audience (inside ``within``) who have read it, or who have not."""
    query = audience_query(notice, within).outerjoin(
        NoticeRead, sa.and_(NoticeRead.notice_id == notice.id, NoticeRead.user_id == User.id)
    )
    if has_read_it:
        return query.where(NoticeRead.user_id.is_not(None)).order_by(NoticeRead.read_at.desc(), User.id)
    return query.where(NoticeRead.user_id.is_(None)).order_by(Branch.path, User.employee_no)


def read_times(notice: Notice, user_ids: list[int]) -> dict[int, datetime]:
    """When each of ``user_ids`` read ``notice`` (for one page of readers, one query)."""
    if not user_ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(NoticeRead.user_id, NoticeRead.read_at).where(
                NoticeRead.notice_id == notice.id, NoticeRead.user_id.in_(user_ids)
            )
        ).all()
    )

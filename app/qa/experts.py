"""Experts: trainers an admin designates for some tags, who are told of new questions in them
and see the unanswered ones on their home page."""

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden

from app.accounts.models import Role, User
from app.core import audit
from app.extensions import db
from app.kb import services as kb_services
from app.kb.models import Tag
from app.qa.models import (
    Question,
    expert_tag,
    question_tag,
)
from app.qa.services import QaError, is_moderator

# --- experts --------------------------------------------------------------------------------------


def expert_rows() -> list[tuple[Tag, User]]:
    return list(
        db.session.execute(
            sa.select(Tag, User)
            .join(expert_tag, expert_tag.c.tag_id == Tag.id)
            .join(User, User.id == expert_tag.c.user_id)
            .order_by(Tag.name, User.employee_no)
        ).all()
    )


def expert_tag_ids(user: User) -> list[int]:
    return list(db.session.scalars(sa.select(expert_tag.c.tag_id).where(expert_tag.c.user_id == user.id)))


def designate_expert(trainer: User, tag_names: Iterable[str] | str, actor: User) -> list[Tag]:
    if not is_moderator(actor):
        raise Forbidden()
    if not trainer.has_role(Role.TRAINER):
        raise QaError(_("%(name)s 不是讲师，只能指定讲师为专家", name=trainer.name), field="employee_no")
    try:
        tags = kb_services.get_or_create_tags(kb_services.parse_tags(tag_names))
    except kb_services.KbError as exc:
        raise QaError(str(exc), field="tags") from None
    if not tags:
        raise QaError(_("请填写至少一个标签"), field="tags")
    have = set(expert_tag_ids(trainer))
    new = [t for t in tags if t.id not in have]
    if new:
        db.session.execute(sa.insert(expert_tag), [{"user_id": trainer.id, "tag_id": t.id} for t in new])
    audit.record(
        actor, "qa.expert.add", trainer, f"指定 {trainer.name} 为专家：{'、'.join(t.name for t in tags)}"
    )
    return tags


def remove_expert(trainer: User, tag: Tag, actor: User) -> None:
    if not is_moderator(actor):
        raise Forbidden()
    db.session.execute(
        sa.delete(expert_tag).where(expert_tag.c.user_id == trainer.id, expert_tag.c.tag_id == tag.id)
    )
    audit.record(actor, "qa.expert.remove", trainer, f"取消 {trainer.name} 的专家标签：{tag.name}")


def unanswered_in_tags(user: User, limit: int = 5) -> tuple[list[Question], int]:
    """Unanswered questions in the tags ``user`` is an expert for, newest first, with the total."""
    tag_ids = expert_tag_ids(user)
    if not tag_ids:
        return [], 0
    condition = sa.and_(
        Question.answer_count == 0,
        Question.is_hidden.is_(False),
        Question.id.in_(sa.select(question_tag.c.question_id).where(question_tag.c.tag_id.in_(tag_ids))),
    )
    total = db.session.scalar(sa.select(sa.func.count(Question.id)).where(condition))
    items = list(
        db.session.scalars(sa.select(Question).where(condition).order_by(Question.id.desc()).limit(limit))
    )
    return items, total

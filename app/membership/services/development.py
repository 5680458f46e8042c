"""发展党员: recording steps against the named rules, the person's timeline, the coordinator's board."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.exceptions import Forbidden

from app.accounts import lifecycle
from app.accounts.models import MemberCategory, User
from app.core import audit
from app.core.clock import day_starts_at, localtoday
from app.core.errors import DomainError
from app.extensions import db
from app.membership import rules
from app.membership.models import DevelopmentContact, DevelopmentStep
from app.membership.services.access import manages, may_keep_file
from app.records.services import entries_for

NOTE_MAX = 1000


class DevelopmentError(DomainError):
    pass


@dataclass(frozen=True)
class Broken:
    rule: rules.Rule
    message: str


class RuleBroken(DevelopmentError):
    """A step that breaks one or more named rules; ``broken`` names each with its message."""

    def __init__(self, broken: list[Broken]):
        super().__init__("；".join(b.message for b in broken))
        self.broken = broken


def training_hours(member: User, since: date) -> Decimal:
    """学时 the member's ledger (records' service) holds from ``since`` on, net of reversals."""
    entries = entries_for(member.id).order_by(None).subquery()
    start = day_starts_at(since)
    total = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(entries.c.hours), 0)).where(entries.c.occurred_on >= start)
    )
    return Decimal(str(total or 0)).quantize(Decimal("0.01"))


def required_hours() -> Decimal:
    return Decimal(str(current_app.config.get("MEMBERSHIP_TRAINING_HOURS", rules.DEFAULT_TRAINING_HOURS)))


def _check(rule: rules.Rule, member: User, done: dict[str, DevelopmentStep], day: date, votes) -> str | None:
    """The refusal message when recording on ``day`` breaks ``rule``, else None."""
    name = str(rule.name)
    if rule.kind == "votes":
        votes_for, present = votes
        if votes_for is None or not present or votes_for < 0 or votes_for > present:
            return _("违反规则「%(rule)s」：请填写到会人数和赞成票数", rule=name)
        if votes_for * 2 <= present:
            return _(
                "违反规则「%(rule)s」：赞成票 %(yes)s 未超过到会 %(present)s 人的半数",
                rule=name,
                yes=votes_for,
                present=present,
            )
        return None
    since = done.get(rule.since)
    if since is None:
        label = str(rules.STEP_BY_KEY[rule.since].label)
        return _("违反规则「%(rule)s」：须先记录「%(step)s」", rule=name, step=label)
    if rule.kind == "hours":
        have, need = training_hours(member, since.done_on), required_hours()
        if have < need:
            return _(
                "违反规则「%(rule)s」：已有 %(have)s 学时，需不少于 %(need)s 学时",
                rule=name,
                have=have,
                need=need,
            )
        return None
    if rule.kind == "after":
        allowed = rules.earliest(rule, since.done_on)
        if day < allowed:
            return _("违反规则「%(rule)s」：最早可于 %(day)s 记录", rule=name, day=allowed.isoformat())
        return None
    if day < since.done_on:
        return _("违反规则「%(rule)s」：最早可于 %(day)s 记录", rule=name, day=since.done_on.isoformat())
    deadline = rules.latest(rule, since.done_on)
    if day > deadline:
        return _("违反规则「%(rule)s」：最晚应于 %(day)s 完成", rule=name, day=deadline.isoformat())
    return None


def steps_of(member_id: int) -> dict[str, DevelopmentStep]:
    rows = db.session.scalars(sa.select(DevelopmentStep).where(DevelopmentStep.member_id == member_id))
    return {s.key: s for s in rows}


def _validate(key: str, done_on, note: str, override_reason: str) -> rules.Step:
    step = rules.STEP_BY_KEY.get(key or "")
    if step is None:
        raise DevelopmentError(_("没有这个发展步骤"), field="key")
    if not isinstance(done_on, date):
        raise DevelopmentError(_("请填写完成日期（YYYY-MM-DD）"), field="done_on")
    if done_on > localtoday():
        raise DevelopmentError(_("完成日期不能晚于今天"), field="done_on")
    if done_on < date(1921, 7, 1):
        raise DevelopmentError(_("完成日期不正确"), field="done_on")
    if len(note or "") > NOTE_MAX or len(override_reason or "") > NOTE_MAX:
        raise DevelopmentError(_("说明不能超过 1000 字"), field="note")
    return step


def _check_contacts(member: User, contacts: list[User]) -> None:
    if len({c.id for c in contacts}) != 2 or member.id in {c.id for c in contacts}:
        raise DevelopmentError(_("请指定两名不同的培养联系人"), field="contacts")
    for contact in contacts:
        if contact.category != MemberCategory.FULL or contact.branch_id != member.branch_id:
            raise DevelopmentError(
                _("培养联系人须为本支部的正式党员：%(name)s 不符合", name=contact.name), field="contacts"
            )


def contacts_of(member_ids) -> dict[int, list[User]]:
    """The 培养联系人 of each member (one query)."""
    found: dict[int, list[User]] = {}
    rows = db.session.scalars(
        sa.select(DevelopmentContact).where(DevelopmentContact.member_id.in_(member_ids))
    )
    for row in rows:
        found.setdefault(row.member_id, []).append(row.contact)
    return found


def record_step(
    actor: User,
    member: User,
    key: str,
    done_on: date,
    note: str = "",
    votes_for: int | None = None,
    votes_present: int | None = None,
    override_reason: str = "",
    contacts: list[User] | None = None,
) -> DevelopmentStep:
    """Record ``key`` as done on ``done_on`` for ``member``; refused (:class:`RuleBroken`) when a rule
    is broken, unless a coordinator gives ``override_reason`` (recorded, audited, shown). The
    ``contacts`` step names the two 培养联系人 (full Party members of the member's branch)."""
    if not may_keep_file(actor, member):
        raise Forbidden()
    step = _validate(key, done_on, note, override_reason)
    if key == "contacts":
        _check_contacts(member, contacts or [])
    override_reason = (override_reason or "").strip()
    User.hold(member.id)  # one writer per file
    done = steps_of(member.id)
    if key in done:
        raise DevelopmentError(_("「%(step)s」已经记录过了", step=str(step.label)), field="key")
    broken = [
        Broken(r, m)
        for r in step.rules
        if (m := _check(r, member, done, done_on, (votes_for, votes_present)))
    ]
    if broken and not override_reason:
        raise RuleBroken(broken)
    if broken and not manages(actor, member):
        raise DevelopmentError(_("只有组织员可以破例记录违反规则的步骤"), 403)
    row = DevelopmentStep(
        member_id=member.id,
        key=key,
        done_on=done_on,
        note=(note or "").strip(),
        votes_for=votes_for if step.needs_votes else None,
        votes_present=votes_present if step.needs_votes else None,
        override_rules=",".join(b.rule.key for b in broken),
        override_reason=override_reason if broken else "",
        recorded_by_id=actor.id,
    )
    db.session.add(row)
    if key == "contacts":
        db.session.add_all(DevelopmentContact(member_id=member.id, contact_id=c.id) for c in contacts)
    db.session.flush()
    summary = f"为 {member} 记录「{step.label}」（{done_on.isoformat()}）"
    details = {"key": key, "done_on": done_on.isoformat()}
    if broken:
        summary += f"，破例：{override_reason}"
        details |= {"override_rules": [b.rule.key for b in broken], "override_reason": override_reason}
    audit.record(actor, "development.step", member, summary, details)
    if step.result is not None:
        joined = done["assembly_vote"].done_on if key == "approval" and "assembly_vote" in done else None
        lifecycle.set_category(member, step.result, actor, joined_party_on=joined)
    return row


# --- the timeline ----------------------------------------------------------------------------------


@dataclass
class TimelineRow:
    step: rules.Step
    done: DevelopmentStep | None
    due_on: date | None  # the latest day a rule allows (a deadline), when one applies
    allowed_from: date | None  # the earliest day the rules allow, when later than the last step
    deciding: rules.Rule | None  # the rule that sets due_on (or allowed_from)
    overdue: bool

    @property
    def rule(self) -> str:
        """The name of the deciding rule ("" when none)."""
        return str(self.deciding.name) if self.deciding is not None else ""

    @property
    def overridden(self) -> list[str]:
        if self.done is None or not self.done.override_rules:
            return []
        return [
            str(rules.RULE_BY_KEY[k].name)
            for k in self.done.override_rules.split(",")
            if k in rules.RULE_BY_KEY
        ]


@dataclass
class Timeline:
    member: User
    rows: list[TimelineRow]

    @property
    def stage(self) -> str | None:
        done = [r for r in self.rows if r.done is not None]
        return done[-1].step.stage if done else None

    @property
    def finished(self) -> bool:
        return self.rows[-1].done is not None

    @property
    def next_row(self) -> TimelineRow | None:
        return next((r for r in self.rows if r.done is None), None)

    @property
    def overdue(self) -> bool:
        return any(r.overdue for r in self.rows)

    @property
    def next_due(self) -> date | None:
        dues = [r.due_on for r in self.rows if r.done is None and r.due_on]
        return min(dues) if dues else None


def _row(step: rules.Step, done: dict[str, DevelopmentStep], today: date) -> TimelineRow:
    row = TimelineRow(step, done.get(step.key), None, None, None, False)
    if row.done is not None:
        return row
    for rule in step.rules:
        since = done.get(rule.since)
        if since is None or rule.kind not in ("after", "within"):
            continue
        if rule.kind == "within":
            row.due_on, row.deciding = rules.latest(rule, since.done_on), rule
        elif rule.months or rule.days or rule.working_days:
            allowed = rules.earliest(rule, since.done_on)
            if row.allowed_from is None or allowed > row.allowed_from:
                row.allowed_from = allowed
                row.deciding = row.deciding or rule
    row.overdue = row.due_on is not None and row.due_on < today
    return row


def build_timeline(member: User, done: dict[str, DevelopmentStep] | None = None) -> Timeline:
    done = steps_of(member.id) if done is None else done
    today = localtoday()
    return Timeline(member, [_row(s, done, today) for s in rules.STEPS])


@dataclass(frozen=True)
class DoneStep:
    """The columns of a recorded step a timeline needs, loaded without the ORM for many members."""

    key: str
    done_on: date
    override_rules: str


def timelines_for(members: list[User], member_ids=None) -> list[Timeline]:
    """Timelines of many members from one query of their steps' columns (``member_ids``: a select of
    their ids, instead of a list of thousands of bound values)."""
    by_member: dict[int, dict[str, DoneStep]] = {m.id: {} for m in members}
    if members:
        rows = db.session.execute(
            sa.select(
                DevelopmentStep.member_id,
                DevelopmentStep.key,
                DevelopmentStep.done_on,
                DevelopmentStep.override_rules,
            ).where(DevelopmentStep.member_id.in_(list(by_member) if member_ids is None else member_ids))
        )
        for member_id, key, done_on, override_rules in rows:
            if member_id in by_member:
                by_member[member_id][key] = DoneStep(key, done_on, override_rules)
    return [build_timeline(m, by_member[m.id]) for m in members]


STAGE_ORDER = {key: i for i, (key, _label) in enumerate(rules.STAGES)}


def pipeline_members_query(condition=None):
    """Members with a development file that is not finished (no 转正 approval yet)."""
    started = sa.select(DevelopmentStep.member_id).where(DevelopmentStep.key == "application")
    finished = sa.select(DevelopmentStep.member_id).where(DevelopmentStep.key == rules.STEPS[-1].key)
    query = sa.select(User).where(User.id.in_(started), User.id.not_in(finished))
    return query if condition is None else query.where(condition)


def board(members_query) -> list[tuple[str, list[Timeline]]]:
    """The coordinator's board: people in the pipeline by stage, overdue first, then by deadline."""
    query = members_query.where(User.id.in_(pipeline_members_query().with_only_columns(User.id)))
    members = list(db.session.scalars(query))
    groups: dict[str, list[Timeline]] = {key: [] for key, _label in rules.STAGES}
    for timeline in timelines_for(members, query.with_only_columns(User.id).order_by(None)):
        groups[timeline.stage or "applicant"].append(timeline)
    far = date.max
    for items in groups.values():
        items.sort(key=lambda t: (not t.overdue, t.next_due or far, t.member.name))
    return [(key, groups[key]) for key, _label in rules.STAGES]

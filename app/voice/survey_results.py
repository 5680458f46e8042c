"""Survey results: counts and charts per question, free-text answers, and the XLSX export.

An anonymous survey answered by fewer than its ``min_group`` members shows the count and nothing
more (no breakdown, no export): with three answers, a breakdown names people.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from app.accounts.models import User
from app.core import audit, spreadsheets
from app.extensions import db
from app.voice.answers import pending_count
from app.voice.models import RATING_MAX, QuestionKind, Survey, SurveyQuestion, SurveyResponse
from app.voice.surveys import SurveyError, target_user_ids


@dataclass
class QuestionResult:
    question: SurveyQuestion
    answered: int = 0
    counts: list[int] = field(default_factory=list)
    average: float | None = None
    texts: list[str] = field(default_factory=list)
    #: A matrix: one list of column counts per row.
    cells: list[list[int]] = field(default_factory=list)


@dataclass
class SurveyResults:
    survey: Survey
    responses: int
    asked: int
    #: Anonymous answers submitted but not written yet (held back on the broker); never shown.
    pending: int
    #: True when too few answered an anonymous survey to show anything but the count.
    is_withheld: bool
    questions: list[QuestionResult]


def _tally(question: SurveyQuestion, values: list) -> QuestionResult:
    result = QuestionResult(question, answered=len(values))
    if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        result.counts = [0] * len(question.options)
        for value in values:
            for index in value if isinstance(value, list) else [value]:
                result.counts[index] += 1
    elif question.kind is QuestionKind.RATING:
        result.counts = [sum(1 for v in values if v == score) for score in range(1, RATING_MAX + 1)]
        result.average = round(sum(values) / len(values), 2) if values else None
    elif question.kind is QuestionKind.TEXT:
        result.texts = sorted(values)  # never in the order given: that order could name someone
    else:
        result.cells = [[0] * len(question.options) for _row in question.rows]
        for value in values:
            for row, column in value.items():
                result.cells[int(row)][column] += 1
    return result


def _all_answers(survey: Survey) -> list[dict]:
    return list(
        db.session.scalars(
            sa.select(SurveyResponse.answers)
            .where(SurveyResponse.survey_id == survey.id)
            .order_by(SurveyResponse.id)
        )
    )


def survey_results(survey: Survey) -> SurveyResults:
    rows = _all_answers(survey)
    asked = db.session.scalar(sa.select(sa.func.count()).select_from(target_user_ids(survey).subquery()))
    withheld = survey.is_anonymous and len(rows) < survey.min_group
    questions = []
    if not withheld:
        for question in survey.questions:
            values = [row[str(question.id)] for row in rows if str(question.id) in row]
            questions.append(_tally(question, values))
    return SurveyResults(survey, len(rows), asked, pending_count(survey), withheld, questions)


def answer_text(question: SurveyQuestion, value) -> str:
    """One stored answer as a person reads it (the export's cells)."""
    if value is None:
        return ""
    if question.kind is QuestionKind.SINGLE:
        return question.options[value]
    if question.kind is QuestionKind.MULTIPLE:
        return "；".join(question.options[i] for i in value)
    if question.kind is QuestionKind.MATRIX:
        return "；".join(f"{question.rows[int(r)]}：{question.options[c]}" for r, c in sorted(value.items()))
    return str(value)


def export_workbook(actor: User, survey: Survey):
    """Every response, one row each, as an XLSX file (refused while the group is too small)."""
    if survey.is_anonymous and survey_results(survey).is_withheld:
        raise SurveyError(_("回答人数少于 %(n)s 人，不能导出明细。", n=survey.min_group), status=403)
    questions = survey.questions
    named = not survey.is_anonymous
    query = sa.select(SurveyResponse).where(SurveyResponse.survey_id == survey.id).order_by(SurveyResponse.id)
    header = [
        _("序号"),
        *([_("工号"), _("姓名")] if named else []),
        *[f"{q.position}. {q.text}" for q in questions],
    ]

    def rows():
        for n, response in enumerate(db.session.scalars(query), start=1):
            who = response.respondent
            person = [who.employee_no if who else "", who.name if who else ""] if named else []
            yield [n, *person, *[answer_text(q, response.answers.get(str(q.id))) for q in questions]]

    audit.record(actor, "survey.export", survey, survey.title)
    note = spreadsheets.Sheet(
        _("说明"),
        [_("项目"), _("数量")],
        [[_("已入库答卷"), _count(survey)], [_("待入库答卷"), pending_count(survey)]],
    )
    return spreadsheets.xlsx_file([spreadsheets.Sheet(_("答卷"), header, rows(), widths=(8,)), note])


def _count(survey: Survey) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(SurveyResponse).where(SurveyResponse.survey_id == survey.id)
    )

from datetime import UTC

from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from app.branchlife.reviews.services import SELF_ASSESSMENT_MAX
from app.core.clock import LOCAL_TZ
from app.core.forms import InOurTimes, PageForm


def to_utc(value):
    """A ``datetime-local`` value is Beijing time as typed; the service works in UTC."""
    return value.replace(tzinfo=LOCAL_TZ).astimezone(UTC) if value else None


class OpenRoundForm(PageForm):
    branch_id = SelectField(_l("党支部"), coerce=int, validate_choice=True)
    year = IntegerField(
        _l("评议年度"), validators=[InputRequired(_l("请填写评议年度")), NumberRange(2000, 2099)]
    )
    vote_starts_at = DateTimeLocalField(
        _l("投票开始（北京时间）"), validators=[DataRequired(_l("请填写投票开始时间")), InOurTimes()]
    )
    vote_ends_at = DateTimeLocalField(
        _l("投票截止（北京时间）"), validators=[DataRequired(_l("请填写投票截止时间")), InOurTimes()]
    )


class SelfAssessmentForm(PageForm):
    text = TextAreaField(
        _l("自我评价"),
        validators=[DataRequired(_l("请填写自我评价")), Length(max=SELF_ASSESSMENT_MAX)],
        render_kw={"rows": 8},
    )


class BallotForm(PageForm):
    """The CSRF-protected shell of the ballot and grading pages: their fields (one per member) are
    read by the services, which check every one of them."""

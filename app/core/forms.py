"""The base of every page form, and the validators every page form may need."""

from decimal import Decimal

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.validators import StopValidation


class PageForm(FlaskForm):
    """A form a page posts (urlencoded or multipart). Flask-WTF would also fill it from a JSON body,
    where a string or a number as the body fails to become form data and ``{"title": 5}`` puts a
    number where every field expects text: a 500 either way. JSON is for the API; a page form
    posted as JSON is an unfilled form, refused by its own validation like an empty one — and not
    submitted at all: an edit form filled from its object (``obj=``) would otherwise validate and
    save the object's own values again."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if _is_json_only():
                formdata = None  # an unfilled form (no view here passes form data of its own)
            return super().wrap_formdata(form, formdata)

    def is_submitted(self) -> bool:
        return super().is_submitted() and not _is_json_only()


def _is_json_only() -> bool:
    return bool(request) and request.is_json and not (request.form or request.files)


class Finite:
    """A decimal field holding a number: ``NaN``, ``sNaN`` and ``Infinity`` parse as decimals, and a
    range check meeting a signalling NaN raises (a 500). Put it before ``NumberRange``."""

    def __init__(self, message=None):
        self.message = message

    def __call__(self, form, field) -> None:
        if field.data is not None and not Decimal(field.data).is_finite():
            raise StopValidation(self.message or _l("请填写一个数字。"))


class InOurTimes:
    """A date or a time a person can mean: the year 1 parses, and then turning it into UTC (or
    comparing it with an aware time) overflows — a 500. Years outside ``earliest``–``latest`` are
    refused with a message instead."""

    def __init__(self, earliest: int = 2000, latest: int = 2099, message=None):
        self.earliest, self.latest, self.message = earliest, latest, message

    def __call__(self, form, field) -> None:
        if field.data is not None and not self.earliest <= field.data.year <= self.latest:
            raise StopValidation(
                self.message
                or _l(
                    "请填写 %(earliest)s 年到 %(latest)s 年之间的时间。",
                    earliest=self.earliest,
                    latest=self.latest,
                )
            )

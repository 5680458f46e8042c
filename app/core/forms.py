"""The base of every page form."""

from flask import request
from flask_wtf import FlaskForm


class PageForm(FlaskForm):
    """A form a page posts (urlencoded or multipart). Flask-WTF would also fill it from a JSON body,
    where a string or a number as the body fails to become form data and ``{"title": 5}`` puts a
    number where every field expects text: a 500 either way. JSON is for the API; a page form
    posted as JSON is an unfilled form, refused by its own validation like an empty one."""

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form, formdata):
            if request and request.is_json and not (request.form or request.files):
                formdata = None  # an unfilled form (no view here passes form data of its own)
            return super().wrap_formdata(form, formdata)

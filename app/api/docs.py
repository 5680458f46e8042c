"""The API's own description, for anyone (no login): ``/api/v1/openapi.json`` and a Swagger UI page
at ``/api/v1/docs`` (served from app/static/vendor, booted by a static script: no inline code)."""

from flask import Blueprint, current_app, jsonify, render_template

from app.api.spec import build_document

docs = Blueprint("api_docs", __name__, url_prefix="/api/v1")


@docs.get("/openapi.json")
def openapi_json():
    document = current_app.extensions.get("hongke.openapi")
    if document is None:  # built once per process: the routes do not change while it runs
        document = current_app.extensions["hongke.openapi"] = build_document(current_app)
    response = jsonify(document)
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response


@docs.get("/docs")
def docs_page():
    return render_template("api/docs.html")

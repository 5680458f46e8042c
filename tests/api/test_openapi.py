"""The OpenAPI 3.1 description of /api/v1: complete (every route, nothing else), served without a
login, valid for a tool that reads it, and its docs page served from local files under the CSP."""

import re

import schemathesis

from app.api.spec import api_rules, build_document, operations, route_keys
from app.config import TestConfig
from tests.conftest import side_app


def test_every_api_route_is_described_and_the_description_names_no_other(app):
    app = side_app(TestConfig, app)  # the routes as shipped: other tests add routes to the session app
    routes = {key for rule in api_rules(app) for key, _method in route_keys(rule)}
    described = set(operations())
    assert routes - described == set(), "routes under /api/v1 without a description (app/api/spec/)"
    assert described - routes == set(), "descriptions of routes that do not exist"
    document = build_document(app)
    paths = {(path, method) for path, item in document["paths"].items() for method in item}
    assert len(paths) == len(routes)
    assert ("/lessons/{lesson_id}", "get") in paths
    assert ("/presence/{public_id}.png", "get") in paths


def test_every_operation_names_its_errors_and_the_envelope(app):
    document = build_document(app)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert any(code.startswith("2") for code in responses), (method, path)
            if operation.get("security") != []:
                assert {"400", "401", "403"} <= set(responses), (method, path)
            for name in re.findall(r"{(\w+)}", path):
                assert any(p["name"] == name and p["in"] == "path" for p in operation["parameters"])
    assert document["components"]["responses"]["E422"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }


def test_the_description_is_served_without_login_and_loads_in_a_tool(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "/api/v1"}]
    schema = schemathesis.openapi.from_dict(document)
    assert sum(1 for result in schema.get_all_operations() if result.ok()) == len(
        [(p, m) for p, item in document["paths"].items() for m in item]
    )


def test_the_docs_page_boots_swagger_ui_from_local_files_with_no_inline_script(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert any("/vendor/swagger-ui/swagger-ui-bundle." in src for src in scripts)
    assert all(client.get(src).status_code == 200 for src in scripts)  # served here, no CDN
    assert 'data-spec-url="/api/v1/openapi.json"' in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "an inline script"
    assert (
        "'unsafe-inline'"
        not in response.headers["Content-Security-Policy"].split("script-src")[1].split(";")[0]
    )


def test_a_too_large_id_is_not_found_whatever_the_method(client, create_user):
    """Schemathesis found both: ``PATCH /api/v1/articles/<20 digits>`` answered 405 (the GET rule's
    pattern matched, its converter refused), and on PostgreSQL an id past 2**31 answered 500."""
    from app.accounts.services import issue_api_token
    from app.extensions import db

    user = create_user("member")
    _row, plain = issue_api_token(user, "测试", actor=user)
    db.session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    # 2**31 and 2**63 - 1: past PostgreSQL's INTEGER ids, which answered 500 ("integer out of range")
    for huge in ("3252377700758055930560512", str(2**31), str(2**63 - 1)):
        assert (
            client.patch(f"/api/v1/articles/{huge}", json={"title": "x"}, headers=headers).status_code == 404
        )
        assert client.get(f"/api/v1/articles/{huge}", headers=headers).status_code == 404
        assert client.post(f"/api/v1/courses/{huge}/enrol", headers=headers).status_code == 404
        assert client.get(f"/api/v1/attempts/{huge}", headers=headers).status_code == 404
        assert client.get(f"/api/v1/branches/{huge}/compliance", headers=headers).status_code == 404

"""``app/api/docs.py``: this description and its page (no login)."""

from app.api.spec.common import op

TAG = "文档"

OPERATIONS = {
    "api_docs.openapi_json": op(
        "本 API 的 OpenAPI 3.1 描述",
        tag=TAG,
        public=True,
        content={"application/json": {"schema": {"type": "object", "required": ["openapi", "paths"]}}},
    ),
    "api_docs.docs_page": op(
        "API 文档页（Swagger UI）",
        tag=TAG,
        public=True,
        content={"text/html": {"schema": {"type": "string"}}},
    ),
}

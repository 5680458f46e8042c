"""Small builders for the OpenAPI description, and the components every operation shares.

An operation is described with :func:`op`; schemas with :func:`obj` (every listed property is
required unless named in ``optional``; extra properties are allowed, so adding a field to an answer
never breaks a client), :func:`arr`, :func:`null` and the short names below. Responses are wrapped
in the envelope (``{"success": true, "data": ...}``) and refusals point at the shared error
responses (``{"success": false, "errors": [{"message", "field"?}]}``).
"""

STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
ANY_OBJ = {"type": "object"}
DATE = {"type": "string", "format": "date"}
DATETIME = {"type": "string", "format": "date-time"}
URL = {"type": "string"}  # absolute or site-relative: not always a full URI
DECIMAL = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$", "description": "十进制数（字符串，避免浮点误差）"}
ID = {"type": "integer", "minimum": 1}


def null(schema: dict) -> dict:
    """``schema`` or ``null`` (JSON Schema 2020-12, as OpenAPI 3.1 uses it)."""
    return {"anyOf": [schema, {"type": "null"}]}


def arr(items: dict, **extra) -> dict:
    return {"type": "array", "items": items, **extra}


def obj(optional: tuple[str, ...] = (), **properties) -> dict:
    required = [name for name in properties if name not in optional]
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def enum(*values: str) -> dict:
    return {"type": "string", "enum": list(values)}


def page_of(key: str, item: dict, pages: bool = True) -> dict:
    """A page of a list: ``{"total", "page", "pages", key: [...]}``."""
    fields = {"total": INT, "page": INT, **({"pages": INT} if pages else {}), key: arr(item)}
    return obj(**fields)


def query(name: str, schema: dict, description: str = "", required: bool = False) -> dict:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


PAGE = query("page", {"type": "integer", "minimum": 1, "default": 1}, "页码，从 1 开始")


def per_page(default: int, maximum: int) -> dict:
    return query(
        "per_page", {"type": "integer", "minimum": 1, "default": default}, f"每页条数，最多 {maximum}"
    )


#: What every authenticated operation may answer besides its own refusals.
COMMON_ERRORS = (400, 401, 403)

ERROR_DESCRIPTIONS = {
    400: "请求无效（JSON 无法解析、参数不可读）",
    401: "未提供或提供了无效的 API 令牌（也未登录网页）",
    403: "无权访问，或只读令牌用于修改",
    404: "不存在，或调用者看不到",
    405: "不支持该方法",
    409: "与当前状态冲突",
    411: "缺少 Content-Length",
    413: "请求体太大",
    422: "提交的数据有误（errors[].field 指出字段）",
    423: "账户已锁定",
    429: "请求过于频繁",
    503: "依赖的服务暂时不可用",
}


def op(
    summary: str,
    *,
    tag: str,
    data: dict | None = None,
    status: int = 200,
    also: tuple[int, ...] = (),
    params: tuple = (),
    body: dict | None = None,
    body_required: bool = True,
    errors: tuple[int, ...] = (),
    description: str = "",
    content: dict | None = None,
    public: bool = False,
) -> dict:
    """One operation. ``data``: the schema of the envelope's ``data`` on success (``status``);
    ``also``: other success statuses with the same body (200 when it already existed, 201 when made);
    ``content``: a non-JSON success body instead (``{"image/png": {...}}``); ``errors``: the refusals
    this operation adds to :data:`COMMON_ERRORS`; ``public``: no login needed."""
    if content is None:
        content = {"application/json": {"schema": envelope(data if data is not None else ANY_OBJ)}}
    responses = {str(code): {"description": "成功", "content": content} for code in (status, *also)}
    for code in sorted(set(errors) | (set() if public else set(COMMON_ERRORS))):
        responses[str(code)] = {"$ref": f"#/components/responses/E{code}"}
    operation = {"summary": summary, "tags": [tag], "responses": responses}
    if description:
        operation["description"] = description
    if params:
        operation["parameters"] = list(params)
    if body is not None:
        operation["requestBody"] = {
            "required": body_required,
            "content": {"application/json": {"schema": body}},
        }
    if public:
        operation["security"] = []
    return operation


def envelope(data: dict) -> dict:
    return obj(success={"const": True}, data=data)


ERROR_SCHEMA = obj(
    success={"const": False},
    errors=arr(
        obj(
            optional=("field",),
            message={"type": "string", "description": "说给人看的中文（或界面语言）原因"},
            field={"type": "string", "description": "出错的字段"},
        ),
        minItems=1,
    ),
)

COMPONENTS = {
    "schemas": {
        "Error": ERROR_SCHEMA,
        "BranchRef": obj(id=INT, name=STR),
    },
    "responses": {
        f"E{code}": {
            "description": text,
            "content": {"application/json": {"schema": ref("Error")}},
        }
        for code, text in ERROR_DESCRIPTIONS.items()
    },
    "securitySchemes": {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": "个人 API 令牌（账户设置中创建）：Authorization: Bearer <token>。"
            "只读令牌只能 GET。",
        },
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": "session",
            "description": "网页自身的登录会话；修改类请求还需 X-CSRFToken 请求头。",
        },
    },
}

BRANCH_REF = ref("BranchRef")

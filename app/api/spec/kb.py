"""``app/api/articles.py``: knowledge-base articles (read; write with a trainer or admin token)."""

from app.api.spec.common import BOOL, DATETIME, INT, NUM, PAGE, STR, URL, arr, enum, null, obj, op, per_page

TAG = "知识库"

CATEGORY = {
    "anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}],
    "description": "分类编号或名称",
}
STATUS = enum("draft", "review", "published")
FIELDS = {
    "title": STR,
    "body": {"type": "string", "description": "Markdown"},
    "summary": STR,
    "category": CATEGORY,
    "tags": arr(STR),
    "status": STATUS,
}

ARTICLE = obj(
    optional=("status", "revision", "live_revision"),
    id=INT,
    title=STR,
    summary=null(STR),
    body=STR,
    html=STR,
    category=null(obj(id=INT, name=STR)),
    tags=arr(STR),
    url=URL,
    author=null(STR),
    published_at=null(DATETIME),
    view_count=INT,
    attachments=arr(obj(id=INT, filename=STR, size=INT, url=URL)),
    status=STR,
    revision=null(INT),
    live_revision=null(INT),
)

READING = obj(
    active=BOOL,
    visible_seconds=NUM,
    required_seconds=INT,
    reached_end=BOOL,
    read=BOOL,
    read_at=null(DATETIME),
)

OPERATIONS = {
    "api.post_article_progress": op(
        "阅读心跳（字段同图文课时）：服务器按自己的时钟计可见时长，读到结尾且时长足够时计一次阅读",
        tag=TAG,
        body={"type": "object", "description": "见 app/records/services：session、seq、position、visible 等"},
        data=READING,
        errors=(404, 409, 422, 429),
    ),
    "api.list_articles": op(
        "已发布的文章",
        tag=TAG,
        params=(PAGE, per_page(20, 100)),
        data=obj(
            total=INT,
            page=INT,
            pages=INT,
            articles=arr(obj(id=INT, title=STR, summary=null(STR), url=URL, published_at=null(DATETIME))),
        ),
    ),
    "api.create_article": op(
        "撰写文章（讲师申请发布时进入审核）",
        tag=TAG,
        status=201,
        body={
            **obj(optional=("summary", "category", "tags", "status"), **FIELDS),
            "additionalProperties": False,
        },
        data=obj(id=INT, url=URL, status=STATUS),
        errors=(422,),
    ),
    "api.get_article": op("一篇文章", tag=TAG, data=ARTICLE, errors=(404,)),
    "api.update_article": op(
        "修改文章（作者、审核人）",
        tag=TAG,
        body={**obj(optional=tuple(FIELDS), **FIELDS), "additionalProperties": False},
        data=ARTICLE,
        errors=(404, 409, 422),
    ),
}

"""``app/api/search.py``: the site search as JSON."""

from app.api.spec.common import BOOL, INT, PAGE, STR, URL, arr, null, obj, op, query

OPERATIONS = {
    "api.search": op(
        "全站搜索（只返回调用者有权看到的）",
        tag="搜索",
        params=(query("q", STR, "关键词；可用引号做短语查询"), query("type", STR, "只搜一种类型"), PAGE),
        data=obj(
            total=INT,
            total_is_exact=BOOL,
            page=INT,
            per_page=INT,
            pages=INT,
            suggestion=null(STR),
            truncated=BOOL,
            results=arr(obj(type=STR, id={"type": ["integer", "string"]}, title=STR, url=URL, snippet=STR)),
        ),
        errors=(422, 503),
    ),
}

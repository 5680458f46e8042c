"""The question bank as a spreadsheet: the import template and the export (same layout, so an
export can be edited and imported again)."""

from collections.abc import Iterator
from typing import IO

from app.core import spreadsheets
from app.quiz.grading import answer_text
from app.quiz.importers import COLUMNS, OPTION_COLUMNS
from app.quiz.models import DIFFICULTY_NAMES, KIND_NAMES, OPTION_KEYS

_WIDTHS = [8, 40] + [16] * len(OPTION_COLUMNS) + [10, 30, 6, 14, 12, 16]
_NOTES = [
    ["题型", "单选题、多选题、判断题、填空题"],
    ["题干", "必填"],
    ["选项A–H", "选择题至少两个选项；判断题、填空题不填"],
    [
        "答案",
        "单选填一个字母，如 B；多选填多个字母，如 ACD；判断填 正确/错误；填空题多个可接受答案用 | 分隔",
    ],
    ["解析", "答题后显示给学员"],
    ["难度", "1–5 或 " + "、".join(DIFFICULTY_NAMES.values()) + "，默认 3"],
    ["标签", "多个用逗号分隔"],
    ["分类", "题目所属分类；为空时使用导入时选择的分类"],
    ["来源", "可选，如教材章节"],
    ["重复", "与题库中已有题目相同（题型、题干、选项一致）的行会跳过，重复导入同一文件不会产生重复题目"],
]


def _sheets(rows) -> list[spreadsheets.Sheet]:
    return [
        spreadsheets.Sheet("题库", COLUMNS, rows, _WIDTHS),
        spreadsheets.Sheet("填写说明", ["列", "说明"], _NOTES, [12, 80]),
    ]


def template_xlsx() -> bytes:
    options = ["为人民服务", "发展经济", "维护稳定", "改革开放", "", "", "", ""]
    return spreadsheets.xlsx_bytes(
        _sheets(
            [
                [
                    "单选题",
                    "中国共产党的根本宗旨是什么？",
                    *options,
                    "A",
                    "全心全意为人民服务是党的根本宗旨。",
                    2,
                    "党章,宗旨",
                    "党章党规",
                    "《中国共产党章程》",
                ],
                [
                    "多选题",
                    "“四个意识”包括哪些？",
                    "政治意识",
                    "大局意识",
                    "核心意识",
                    "看齐意识",
                    "",
                    "",
                    "",
                    "",
                    "ABCD",
                    "",
                    3,
                    "四个意识",
                    "理论学习",
                    "",
                ],
                [
                    "判断题",
                    "党员的党龄从转为正式党员之日算起。",
                    *[""] * 8,
                    "正确",
                    "",
                    2,
                    "",
                    "党章党规",
                    "",
                ],
                [
                    "填空题",
                    "党的最高理想和最终目标是实现____。",
                    *[""] * 8,
                    "共产主义|共产主义社会",
                    "",
                    3,
                    "",
                    "党章党规",
                    "",
                ],
            ]
        )
    )


def _export_rows(questions) -> Iterator[list]:
    for q in questions:
        options = list(q.options or []) + [""] * (len(OPTION_KEYS) - len(q.options or []))
        yield [
            KIND_NAMES[q.kind],
            q.stem,
            *options,
            answer_text(q, q.answer),
            q.explanation,
            q.difficulty,
            q.tags,
            q.category,
            q.source,
        ]


def export_xlsx(questions) -> IO[bytes]:
    """Questions in the template's layout, so an export can be edited and imported again; streamed
    (write-only) into a temporary file, every text cell neutralised by the shared writer."""
    return spreadsheets.xlsx_file(_sheets(_export_rows(questions)))

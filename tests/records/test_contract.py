"""Issue 13: the contract between courses and records runs one way — records never imports courses."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("app", "courses", "media_pipeline", "search_index")


def _module_file(name: str) -> pathlib.Path | None:
    path = ROOT.joinpath(*name.split("."))
    for candidate in (path.with_suffix(".py"), path / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports_of(name: str, file: pathlib.Path) -> set[str]:
    """Every project module ``file`` imports, at the top or inside a function, absolute or relative."""
    package = name if file.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            for alias in node.names:  # `from pkg import module` imports the module, else a name of pkg
                found.add(f"{base}.{alias.name}" if _module_file(f"{base}.{alias.name}") else base)
    modules = set()
    for imported in found:
        if imported.split(".")[0] not in PROJECT_PACKAGES:
            continue
        parts = imported.split(".")  # the longest prefix that is a module (`import a.b.c` names a.b.c)
        prefix = next(
            (".".join(parts[:i]) for i in range(len(parts), 0, -1) if _module_file(".".join(parts[:i]))), None
        )
        if prefix:
            modules.add(prefix)
    return modules


def reachable_from(package: str) -> dict[str, str]:
    """Every project module reachable by imports from ``package``'s modules → who imported it first."""
    start = [
        ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for p in (ROOT / package.replace(".", "/")).rglob("*.py")
    ]
    seen = {name: "" for name in start}
    queue = list(start)
    while queue:
        name = queue.pop()
        file = _module_file(name)
        if file is None:
            continue
        for imported in _imports_of(name, file):
            if imported not in seen:
                seen[imported] = name
                queue.append(imported)
    return seen


def test_issue13_records_reaches_no_courses_module_through_any_import():
    graph = reachable_from("app.records")
    assert "app.records.services" in graph
    assert "app.records.sources" in graph
    assert "app.accounts.models" in graph  # and follows imports out of it
    leaks = {}
    for module, importer in graph.items():
        if module == "courses" or module.startswith("courses."):
            chain = [module]
            while importer:
                chain.append(importer)
                importer = graph[importer]
            leaks[module] = " ← ".join(chain)
    assert not leaks, leaks


def test_issue13_the_import_walk_would_see_a_courses_import(tmp_path):
    """The walk itself is no blind spot: a module that imports courses inside a function is caught."""
    assert "courses.models" in _imports_of(
        "app.x", _write(tmp_path, "def f():\n    from courses.models import Course\n")
    )
    assert "courses.services" in _imports_of("app.x", _write(tmp_path, "from courses import services\n"))
    assert "courses.models" in _imports_of("app.x", _write(tmp_path, "import courses.models as m\n"))
    assert "courses" in _imports_of("app.x", _write(tmp_path, "from courses import CourseError\n"))


def _write(tmp_path, text: str) -> pathlib.Path:
    path = tmp_path / "m.py"
    path.write_text(text)
    return path

"""The layering the README promises: `bookings/` knows neither Streamlit nor the web
server, pages and widgets hold no SQL, and no module of ours imports itself back."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = sorted((ROOT / "bookings").rglob("*.py"))
PAGES = sorted((ROOT / "pages").glob("*.py"))
WIDGETS = sorted((ROOT / "ui").glob("*.py"))
UI = [ROOT / "app.py", *PAGES, *WIDGETS]
OURS = ("bookings", "ui", "pages", "web")
SQL = re.compile(r"\b(SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b")


def name_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module PATH imports, top-level or inside a function, by its full name."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def top_level(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", DOMAIN, ids=relative)
def test_the_domain_knows_neither_streamlit_nor_the_web_server(path):
    assert not top_level(imports_of(path)) & {"streamlit", "starlette", "uvicorn", "ui", "pages",
                                               "web"}


@pytest.mark.parametrize("path", UI, ids=relative)
def test_pages_and_widgets_hold_no_sql(path):
    text = path.read_text()
    assert not SQL.search(text), f"SQL in {relative(path)}: {SQL.search(text).group(0)}"
    assert ".execute(" not in text


def test_pages_holds_the_pages_alone():
    """pages/ holds what app.py hands st.navigation, nothing else: widgets live in ui/."""
    named = set(re.findall(r'"pages/(\w+)\.py"', (ROOT / "app.py").read_text()))
    assert {path.stem for path in PAGES} == named


def module_graph() -> dict[str, set[str]]:
    files = [path for path in ROOT.rglob("*.py")
             if path.relative_to(ROOT).parts[0] in OURS]
    modules = {name_of(path): path for path in files}
    return {name: {other for other in imports_of(path) if other in modules and other != name}
            for name, path in modules.items()}


def test_no_module_imports_itself_back():
    """No circle in the import graph: each floor stands on the ones below it."""
    graph = module_graph()
    done, on_path = set(), []

    def visit(name):
        if name in on_path:
            raise AssertionError("import circle: " + " -> ".join([*on_path[on_path.index(name):],
                                                                   name]))
        if name in done:
            return
        on_path.append(name)
        for other in sorted(graph[name]):
            visit(other)
        on_path.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


def test_each_package_says_what_lives_in_it():
    for init in [*(ROOT / "bookings").rglob("__init__.py"), ROOT / "ui" / "__init__.py",
                 ROOT / "web" / "__init__.py"]:
        assert ast.get_docstring(ast.parse(init.read_text())), relative(init)


def domain_exceptions() -> set[str]:
    """The names of the exception classes `bookings/` defines."""
    names = set()
    for path in DOMAIN:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef) and any(
                    getattr(base, "id", getattr(base, "attr", "")).endswith(
                        ("Error", "Exception", "Refused", "Forbidden", "Conflict", "NotFound",
                         "Busy", "Missing", "Right"))
                    for base in node.bases):
                names.add(node.name)
    return names


def caught(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            kinds = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            names |= {getattr(kind, "id", getattr(kind, "attr", "")) for kind in kinds}
    return names


@pytest.mark.parametrize("path", UI, ids=relative)
def test_pages_catch_one_refusal_type(path):
    """A page tells the user why with `Refused` (Forbidden, NotFound, Conflict and each
    subject's own refusal are kinds of it). The store failing to open is not a refusal:
    ui/common.py says so, once, where it opens the store."""
    allowed = {"Refused"} | ({"StoreError"} if path.name == "common.py" else set())
    assert caught(path) & domain_exceptions() <= allowed


def test_the_refusals_are_one_family():
    from bookings.admin.changelog import SettingsRefused
    from bookings.editing import EditConflict, EditRefused
    from bookings.errors import Conflict, Forbidden, MissingRight, NotFound, Refused
    from bookings.store import StoreError
    from bookings.uploads.batch import UploadRefused

    for kind in (Forbidden, MissingRight, NotFound, Conflict, SettingsRefused, EditRefused,
                 EditConflict, UploadRefused):
        assert issubclass(kind, Refused) and not issubclass(kind, StoreError), kind
    assert issubclass(EditConflict, Conflict)

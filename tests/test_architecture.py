"""The layering the README promises: `bookings/` knows no Streamlit, pages hold no SQL."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = sorted((ROOT / "bookings").glob("*.py"))
UI = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
SQL = re.compile(r"\b(SELECT|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", DOMAIN, ids=lambda p: p.name)
def test_the_domain_package_imports_no_streamlit(path):
    assert "streamlit" not in imported_modules(path)


@pytest.mark.parametrize("path", UI, ids=lambda p: p.name)
def test_pages_hold_no_sql(path):
    text = path.read_text()
    assert not SQL.search(text), f"SQL in {path.name}: {SQL.search(text).group(0)}"
    assert ".execute(" not in text

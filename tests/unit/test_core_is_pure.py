"""core/ imports the standard library and itself only: no third-party package, no I/O layer."""

import ast
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "core"


def _imported_top_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_only_the_standard_library_and_itself():
    allowed = set(sys.stdlib_module_names) | {"core", "__future__"}
    offenders = {
        str(path.relative_to(CORE.parent)): sorted(_imported_top_modules(path) - allowed)
        for path in CORE.rglob("*.py")
    }
    offenders = {path: names for path, names in offenders.items() if names}
    assert offenders == {}


def test_core_reads_no_clock():
    clock_reads = ("datetime.now(", "time.time(", "time.monotonic(", "date.today(", "utcnow(")
    readers = [
        str(path.relative_to(CORE.parent))
        for path in CORE.rglob("*.py")
        if any(call in path.read_text() for call in clock_reads)
    ]
    assert readers == []

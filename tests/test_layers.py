"""The layering of the code, enforced: each package imports only the packages below it, and no two modules
import each other (directly or around a loop), lazy imports included.

    core  <  vectorstore  <  ingest  <  assistant  <  evals, web  <  app
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAYERS = {"core": 0, "vectorstore": 1, "ingest": 2, "assistant": 3, "evals": 4, "web": 4, "app": 5}


def _modules(root: Path) -> dict[str, Path]:
    found = {}
    for package in LAYERS:
        if (root / f"{package}.py").exists():
            found[package] = root / f"{package}.py"
        for path in sorted((root / package).glob("*.py")) if (root / package).is_dir() else ():
            name = package if path.stem == "__init__" else f"{package}.{path.stem}"
            found[name] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Our modules that ``name`` imports, anywhere in the file (lazy and TYPE_CHECKING imports too)."""
    out = set()
    package = name if path.stem == "__init__" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                ).strip(".")
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for target in targets:
            # The longest known module the target names ("assistant.types.Answer" → "assistant.types").
            parts = target.split(".")
            for cut in range(len(parts), 0, -1):
                candidate = ".".join(parts[:cut])
                if candidate in known:
                    if candidate != name:
                        out.add(candidate)
                    break
    return out


def graph(root: Path) -> dict[str, set[str]]:
    modules = _modules(root)
    known = set(modules)
    # "from assistant import Assistant" names the package; it is an edge to the package's __init__.
    return {name: _imports(name, path, known) for name, path in modules.items()}


def wrong_way(edges: dict[str, set[str]]) -> list[str]:
    def layer(module: str) -> tuple[int, str]:
        top = module.split(".")[0]
        return LAYERS[top], top

    problems = []
    for source, targets in sorted(edges.items()):
        (low, top) = layer(source)
        for target in sorted(targets):
            (high, other) = layer(target)
            if high > low or (high == low and other != top):
                problems.append(f"{source} imports {target}")
    return problems


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _package_inits_ok(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    # A package's __init__ re-exports its own modules: that is not a cycle with them.
    return {
        src: {t for t in targets if not (src in LAYERS and t.startswith(src + "."))}
        for src, targets in edges.items()
    }


def test_the_repository_keeps_its_layers() -> None:
    edges = graph(REPO)
    assert "core.types" in edges and "app" in edges
    assert wrong_way(edges) == []


def test_no_module_import_cycles() -> None:
    assert cycles(_package_inits_ok(graph(REPO))) == []


def test_core_imports_nothing_of_ours() -> None:
    edges = graph(REPO)
    assert all(t.startswith("core") for name, ts in edges.items() if name.startswith("core") for t in ts)


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(text)
    return tmp_path


def test_a_wrong_way_import_is_caught(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "core/__init__.py": "",
            "core/types.py": "def f():\n    from assistant.answer import Answer\n",
            "assistant/__init__.py": "",
            "assistant/answer.py": "from core.types import f\n",
            "web/__init__.py": "",
            "web/api.py": "import evals.metrics\n",
            "evals/__init__.py": "",
            "evals/metrics.py": "",
        },
    )
    assert wrong_way(graph(root)) == ["core.types imports assistant.answer", "web.api imports evals.metrics"]


def test_a_cycle_is_caught(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "evals/__init__.py": "",
            "evals/run.py": "from evals import report\n",
            "evals/report.py": "from .run import EvalRun\n",
        },
    )
    assert cycles(_package_inits_ok(graph(root))) == [["evals.report", "evals.run"]]


def test_no_test_module_imports_another() -> None:
    """Shared test material lives in helper modules (tests/webapps.py, tests/browser.py …), not in tests."""
    found = []
    for path in sorted((REPO / "tests").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests.test_"):
                found.append(f"{path.name} imports {node.module}")
    assert found == []

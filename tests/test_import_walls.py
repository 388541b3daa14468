"""The walls between the core and the views, read from the source: a violation fails here.

Every `import` and `from ... import` in the package is followed (function-level imports too,
since they run when the function does; imports under `if TYPE_CHECKING:` are left out, since
they never run), transitively within `advisor`.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

import advisor

PACKAGE = Path(advisor.__file__).parent

CORE = (
    "advisor.study",
    "advisor.evalset",
    "advisor.scoring",
    "advisor.stats",
    "advisor.economics",
    "advisor.breakeven",
    "advisor.chance",
    "advisor.analysis",
    "advisor.quality_delta",
    "advisor.cost_per_call",
    "advisor.decision",
    "advisor.rules",
    "advisor.verdict",
    "advisor.sensitivity",
    "advisor.pricing",
    "advisor.training",
    "advisor.wording",
    "advisor.serving",
    "advisor.serving_config",
    "advisor.families",
)
VIEWS = (
    "advisor.cli",
    "advisor.report",
    "advisor.breakeven_view",
    "advisor.prices_view",
    "advisor.serving_view",
    "advisor.families_view",
    "advisor.markdown",
    "advisor.summary",
    "advisor.progress",
    "rich",
    "typer",
)
"""The command line, the report, the terminal: what the core must never import."""


def _path(module: str) -> Path | None:
    parts = module.split(".")[1:]
    package = PACKAGE.joinpath(*parts, "__init__.py")
    if package.exists():
        return package
    file = PACKAGE.joinpath(*parts[:-1], f"{parts[-1]}.py") if parts else None
    return file if file is not None and file.exists() else None


def _type_checking_only(tree: ast.Module) -> set[int]:
    """Line numbers of the imports under `if TYPE_CHECKING:`."""
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


@cache
def imports_of(module: str) -> frozenset[str]:
    """What one module imports when it runs: full names for the package's own modules, the
    top-level name for anything else."""
    path = _path(module)
    if path is None:
        return frozenset()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_only(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {
                a.name if a.name.startswith("advisor") else a.name.split(".")[0] for a in node.names
            }
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            if not base.startswith("advisor"):
                found.add(base.split(".")[0])
                continue
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names if _path(f"{base}.{a.name}")}
    return frozenset(found)


def reach(module: str) -> dict[str, str]:
    """Every module `module` imports, directly or not, each with the module that imports it."""
    seen: dict[str, str] = {}
    todo = [module]
    while todo:
        current = todo.pop()
        for name in imports_of(current):
            if name not in seen:
                seen[name] = current
                if name.startswith("advisor"):
                    todo.append(name)
    return seen


def _violations(module: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} reaches {name} (imported by {by})"
        for name, by in reach(module).items()
        if any(name == f or name.startswith(f"{f}.") for f in forbidden)
    )


@pytest.mark.parametrize("module", CORE)
def test_the_core_imports_no_view(module):
    assert _path(module) is not None, f"{module} is no module of the package"
    assert _violations(module, VIEWS) == []


def test_the_results_schema_does_not_depend_on_the_verdict_rules():
    assert _violations("advisor.results", ("advisor.decision", *VIEWS)) == []


def test_the_walk_finds_a_violation():
    # The command line imports rich; a walk that missed it could pass anything.
    assert _violations("advisor.cli", ("rich",))
    assert "advisor.decision" in reach("advisor.recost")

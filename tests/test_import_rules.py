"""The package's import rules (docs/architecture.md), checked on the source: imports point one way."""

import ast
from pathlib import Path

import cliport

SRC = Path(cliport.__file__).parent

#: package -> imports it must never make
FORBIDDEN = {
    "models": ("pybullet", "cliport.env", "cliport.tasks", "cliport.data", "cliport.agents", "cliport.train",
               "cliport.eval", "cliport.viz", "cliport.cli"),
    "agents": ("pybullet", "cliport.env", "cliport.tasks", "cliport.data", "cliport.train", "cliport.eval",
               "cliport.viz", "cliport.cli"),
    "env": ("cliport.tasks", "cliport.data", "cliport.models", "cliport.agents", "cliport.train",
            "cliport.eval", "cliport.viz", "cliport.cli", "torch"),
    "real": ("pybullet", "cliport.env.environment", "cliport.env.cameras", "cliport.tasks", "cliport.data",
             "cliport.train", "cliport.eval", "cliport.viz", "cliport.cli"),
    "tasks": ("cliport.data", "cliport.models", "cliport.agents", "cliport.train", "cliport.eval",
              "cliport.viz", "cliport.cli", "torch"),
}


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_packages_import_only_downstream():
    bad = []
    for package, forbidden in FORBIDDEN.items():
        for path in (SRC / package).rglob("*.py"):
            for name in _imports(path):
                if any(name == f or name.startswith(f + ".") for f in forbidden):
                    bad.append(f"{path.relative_to(SRC)} imports {name}")
    assert not bad, "\n".join(bad)


def test_nothing_imports_viz_or_cli_except_commands():
    bad = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] in ("viz", "commands") or rel.name in ("cli.py", "__main__.py"):
            continue
        for name in _imports(path):
            if name.startswith("cliport.viz") or name == "cliport.cli":
                bad.append(f"{rel} imports {name}")
    assert not bad, "\n".join(bad)

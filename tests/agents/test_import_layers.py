"""The policy sits above the builders: no module-level import circle among build/encoders/policy."""

import ast
from pathlib import Path

import cliport.agents

AGENTS = Path(cliport.agents.__file__).parent


def _top_level_agent_imports(name: str) -> set[str]:
    tree = ast.parse((AGENTS / f"{name}.py").read_text())
    out = set()
    for node in tree.body:  # module level only (lazy imports inside functions are allowed)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cliport.agents."):
            out.add(node.module.rsplit(".", 1)[1])
    return out


def test_build_and_encoders_do_not_import_the_policy():
    for name in ("build", "encoders", "frozen"):
        assert "policy" not in _top_level_agent_imports(name), name
    assert "build" not in _top_level_agent_imports("encoders")
    assert {"build", "encoders", "frozen"} <= _top_level_agent_imports("policy")


def test_no_lazy_import_of_the_policy_from_below():
    for name in ("build", "encoders"):
        assert "cliport.agents.policy" not in (AGENTS / f"{name}.py").read_text(), name


def test_frozen_encoders_still_public_from_policy():
    from cliport.agents.frozen import FrozenEncoders
    from cliport.agents.policy import FrozenEncoders as Public

    assert Public is FrozenEncoders

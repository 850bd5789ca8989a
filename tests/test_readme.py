"""The README is the front door (issue 25): at most 10 KB, every command it shows runs as shown, every link and
picture it names is there.

A command is a line of a ```sh block. ``chainrule …`` lines run as they are written, in a fresh folder (what
they write stays there), with the installed ``chainrule`` command, and must exit 0. ``make TARGET`` lines are
checked with ``make -n TARGET`` (the target exists and every recipe it needs resolves; running ``make test``
from a test would run the tests inside themselves). ``mkdocs gh-deploy`` pushes to a remote, so it is not run:
its options are checked against the installed mkdocs.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BIN = Path(sys.executable).parent


def shown_commands() -> list[str]:
    """Every command line of the README's ```sh blocks, its comment left out."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", README, re.S):
        for line in block.splitlines():
            command = line.split("  #", 1)[0].strip()
            if command:
                lines.append(command)
    return lines


COMMANDS = shown_commands()
CHAINRULE = [c for c in COMMANDS if c.startswith("chainrule ")]
MAKE = [c for c in COMMANDS if c.startswith("make ")]


def test_the_readme_is_at_most_10_kb():
    assert len(README.encode("utf-8")) <= 10 * 1024


def test_every_command_shown_is_one_of_the_kinds_checked_here():
    assert len(CHAINRULE) >= 8 and {"make demo", "make test", "make docs"} <= set(MAKE)
    others = [c for c in COMMANDS if c not in CHAINRULE and c not in MAKE]
    assert others == [".venv/bin/mkdocs gh-deploy --strict"]


@pytest.mark.slow
@pytest.mark.parametrize("command", CHAINRULE)
def test_each_chainrule_command_runs_as_shown(command, tmp_path):
    argv = shlex.split(command)
    run = subprocess.run([str(BIN / argv[0]), *argv[1:]], cwd=tmp_path, capture_output=True, text=True,
                         timeout=300, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() or any(tmp_path.iterdir())  # it printed something, or wrote what it says it writes


@pytest.mark.parametrize("command", MAKE)
def test_each_make_target_shown_exists(command):
    target = shlex.split(command)[1]
    run = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


def test_gh_deploy_takes_the_options_shown():
    pytest.importorskip("mkdocs", reason="the docs extra is not installed: pip install -e '.[docs]' (make docs)")
    run = subprocess.run([str(BIN / "mkdocs"), "gh-deploy", "--help"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and "--strict" in run.stdout


def test_every_link_and_picture_of_the_readme_is_in_the_repository():
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", README)
    local = [t for t in targets if not re.match(r"https?://", t)]
    assert len(local) >= 15
    for target in local:
        assert (ROOT / target).exists(), target
    pictures = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", README)
    assert len(pictures) >= 5 and all(p.endswith(".png") for p in pictures)


def test_the_readme_says_how_to_publish_the_site():
    publishing = README.split("## Publishing the site", 1)[1]
    assert "static host" in publishing and "mkdocs gh-deploy" in publishing

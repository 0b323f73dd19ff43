"""The README's quick starts run as written: every Python block in one namespace, every command of the shell blocks.

The README promises a newcomer can copy them; this test copies them. It reads the blocks from the README
itself, so an edited quick start is tested as it reads.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from .conftest import invoke

README = Path(__file__).resolve().parent.parent / "README.md"


def quick_start_blocks(language: str) -> list[str]:
    """The ``language`` code blocks of the README's "Quick start" section, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)


def test_the_readme_stays_short_and_keeps_its_two_set_up_commands():
    text = README.read_text(encoding="utf-8")
    assert len(text) <= 15_000
    assert "make report" in text and "make test" in text
    # a task each, the LLM and the audits
    assert len(quick_start_blocks("python")) == 5 and len(quick_start_blocks("bash")) == 5


@pytest.mark.integration
def test_the_quick_starts_run_as_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # runs/ lands here
    namespace: dict = {}
    for block in quick_start_blocks("python"):
        exec(compile(block, str(README), "exec"), namespace)  # noqa: S102 - the README's own code
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 5 and 0.9 < float(printed[0].split()[0]) <= 1.0  # the classifier's accuracy comes first
    assert 0.0 <= float(printed[3].split()[0]) <= 1.0 and "'sports': ' sports'" in printed[3]  # the LLM's
    auc, memorized, held_out = map(float, printed[4].split())  # the headline writer's audit
    assert 0.5 < auc <= 1.0 and 0.0 <= held_out <= memorized <= 1.0
    lines = [line for block in quick_start_blocks("bash") for line in block.splitlines()]
    commands = [line for line in lines if line.startswith("workbench ")]
    assert len(commands) == 7
    for command in commands:
        result = invoke(*shlex.split(command)[1:])
        assert result.exit_code == 0, f"{command}\n{result.output}"
        out = Path(shlex.split(command)[shlex.split(command).index("--out") + 1])
        written = {" compare ": "compare.json", " explain ": "index.html", " audit ": "audit.json"}
        assert (out / next((f for c, f in written.items() if c in command), "metrics.json")).is_file()

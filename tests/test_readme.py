"""The cvnn guide's code (docs/cvnn.md, linked from README.md) runs as written and prints what
it says."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "cvnn.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", GUIDE.read_text(), flags=re.S)


def test_usage_example_prints_documented_shapes(capsys: pytest.CaptureFixture[str]) -> None:
    code = next(b for b in _blocks() if ">>>" not in b)
    exec(compile(code, "docs/cvnn.md", "exec"), {})
    printed = capsys.readouterr().out
    expected = re.findall(r"# (torch\.Size.*)", code)
    assert expected and printed.strip() == expected[0].strip()


@pytest.mark.slow
def test_seed_doctest_in_guide() -> None:
    """The seed's examples (including the full VGG-16 on 224x224) as a doctest."""
    block = next(b for b in _blocks() if ">>>" in b)
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block, {}, "cvnn guide seed example", str(GUIDE), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0 and runner.tries >= 6

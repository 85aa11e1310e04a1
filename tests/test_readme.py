"""The README's code example runs as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text("utf-8"), flags=re.S)
    assert blocks, "README has no python example"
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # noqa: S102
    assert namespace["gra"].grades.notna().all()
    assert abs(namespace["what_if"].mean() - namespace["gra"].coefficients.to_numpy().mean()) < 1e-12
    assert namespace["ahp"].consistent
    assert "financial" in capsys.readouterr().out

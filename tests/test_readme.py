"""The README's quickstart block runs as written (it is the package's first example)."""
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.slow
def test_readme_quickstart_runs(capsys):
    if not README.exists():
        pytest.skip("README.md is not beside the tests (installed without the source tree)")
    match = re.search(r"^# quickstart$(.*?)^# end$", README.read_text(), re.S | re.M)
    assert match, "README.md lost its '# quickstart' ... '# end' block"
    exec(compile(match.group(1), "README quickstart", "exec"), {})
    out = capsys.readouterr().out
    assert "after CG" in out and "validation accuracy" in out

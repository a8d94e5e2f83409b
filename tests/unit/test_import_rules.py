"""The import rules between the layers (pyproject.toml, [tool.importlinter]) hold, checked with
import-linter on the real import graph."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own tool and config
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={
            "PYTHONPATH": f"{ROOT / 'layers' / 'shared'}:{ROOT / 'layers' / 'local'}:{ROOT}",
            "PATH": "/usr/bin:/bin",
        },
        check=False,
    )


def test_every_import_contract_is_kept() -> None:
    result = lint_imports(ROOT / "pyproject.toml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_broken_rule_is_reported(tmp_path: Path) -> None:
    """The check can fail: the contract repository imports anshin.store.db, so forbidding it is broken."""
    config = tmp_path / "importlinter.toml"
    config.write_text(
        "[tool.importlinter]\n"
        'root_packages = ["anshin"]\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "contracts without the table"\n'
        'type = "forbidden"\n'
        'source_modules = ["anshin.store.contracts"]\n'
        'forbidden_modules = ["anshin.store.db"]\n'
    )
    result = lint_imports(config)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and "anshin.store.contracts -> anshin.store.db" in result.stdout

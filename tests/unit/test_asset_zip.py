"""The local deployer's asset zips (local/deploy.py): deterministic, and carrying the layers'
shipped bytecode but never a developer's own caches."""

import io
import py_compile
import zipfile
from pathlib import Path

from local.deploy import zip_directory


def _names(archive: bytes) -> set[str]:
    return set(zipfile.ZipFile(io.BytesIO(archive)).namelist())


def test_hash_checked_bytecode_is_shipped_and_timestamp_caches_are_not(tmp_path: Path) -> None:
    shipped, cached = tmp_path / "shipped.py", tmp_path / "cached.py"
    shipped.write_text("VALUE = 1\n")
    cached.write_text("VALUE = 2\n")
    py_compile.compile(str(shipped), invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH)
    py_compile.compile(str(cached), invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
    names = _names(zip_directory(tmp_path))
    assert {"shipped.py", "cached.py"} <= names
    assert any(name.startswith("__pycache__/shipped.") for name in names), names
    assert not any(name.startswith("__pycache__/cached.") for name in names), names


def test_the_zip_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    (tmp_path / "module.py").write_text("VALUE = 1\n")
    py_compile.compile(
        str(tmp_path / "module.py"), invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH
    )
    assert zip_directory(tmp_path) == zip_directory(tmp_path)

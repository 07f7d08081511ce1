"""The wheel installs one top-level package, ``unicrm``, and a working ``unicrm`` command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "setup.py", "README.md", "core", "schema", "plugins")
STRAYS = {"core", "plugins", "schema"}


def _run(*command: str | Path, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("UNICRM_")}
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _build_wheel(tmp: Path) -> Path:
    """Build from a copy of the sources, so the working tree gets no build/ or egg-info."""
    source = tmp / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(path, source / name)
    dist = tmp / "dist"
    _run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", dist, source, cwd=tmp)
    (wheel,) = dist.glob("unicrm-*.whl")
    return wheel


def _fresh_venv(path: Path) -> Path:
    """A new venv that sees this interpreter's packages (the dependencies) but not its
    editable ``unicrm``: when the running interpreter is itself a venv, its packages are not
    the base interpreter's "system" ones, so a .pth file names them (a .pth line adds a folder
    to sys.path without running the .pth files in it, such as the editable finder)."""
    venv.create(path, system_site_packages=True)
    python = path / "bin" / "python"
    site = Path(
        _run(
            python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=path
        ).strip()
    )
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return site


@pytest.mark.slow
def test_wheel_installs_only_unicrm_and_its_command_runs(tmp_path):
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        tops = {name.split("/", 1)[0] for name in archive.namelist()}
    assert tops == {"unicrm", "unicrm-0.1.0.dist-info"}

    site = _fresh_venv(tmp_path / "venv")
    bin_dir = tmp_path / "venv" / "bin"
    python = bin_dir / "python"  # this pip installs into it: much faster than ensurepip
    _run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "-q",
        "--no-deps",
        wheel,
        cwd=tmp_path,
    )

    assert not STRAYS & {p.name for p in site.iterdir()}
    location = _run(
        bin_dir / "python", "-c", "import unicrm.core; print(unicrm.core.__file__)", cwd=tmp_path
    )
    assert Path(location.strip()).is_relative_to(site)
    assert "Usage: unicrm" in _run(bin_dir / "unicrm", "--help", cwd=tmp_path)
    sdl = _run(bin_dir / "unicrm", "schema", "export", "--plugins", "ma", cwd=tmp_path)
    assert "leadScore" in sdl
    heads = _run(bin_dir / "unicrm", "db", "heads", cwd=tmp_path)
    assert {line.split("@")[0] for line in heads.split()} == {"core", "ma", "sfa", "crm", "loyalty"}

"""The package installs as a wheel and its console script runs from anywhere."""

import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP = (".venv", ".git", "build", "instance", ".typecheck", "*cache*", "*.egg-info")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, cwd=cwd, check=True)


@pytest.mark.slow
def test_installed_console_script_runs_outside_the_repository(tmp_path: Path) -> None:
    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    python = str(target / "bin" / "python")
    # Reuse the test environment's dependencies; install only our own wheel.
    site = next((target / "lib").glob("python*/site-packages"))
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # Build from a copy: setuptools leaves build/ in the tree it builds.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*SKIP))
    wheels = tmp_path / "wheels"
    run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "--no-build-isolation",
        "-w",
        str(wheels),
        str(source),
        cwd=tmp_path,
    )
    wheel = next(wheels.glob("appletrace-*.whl"))
    run(python, "-m", "pip", "install", "-q", "--no-deps", str(wheel), cwd=tmp_path)

    result = subprocess.run(
        [str(target / "bin" / "appletrace"), "--help"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
    )
    where = run(
        python, "-c", "import appletrace; print(appletrace.__file__)", cwd=tmp_path
    )

    assert result.returncode == 0, result.stderr
    assert "orchards" in result.stdout
    assert "lots" in result.stdout
    assert where.stdout.startswith(str(target))

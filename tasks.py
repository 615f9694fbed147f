#!/usr/bin/env python3
"""Sets up everything a fresh machine needs, then serves the site or runs the whole test suite.

    python3 tasks.py serve   # install, build, serve on http://127.0.0.1:8000 with live reload
    python3 tasks.py test    # install (browsers and checkers too), lint, type-check, test

Standard library only, so it runs before anything is installed. Steps that are already done
are skipped (a stamp records what was installed), so running it again is quick.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
# Debian packages the browser and HTML-validation tests drive.
SYSTEM_PACKAGES = {
    "chromium": "/usr/bin/chromium",
    "chromium-driver": "/usr/bin/chromedriver",
    "default-jre-headless": "java",
    "nodejs": "node",
    "npm": "npm",
}


def run(*command: str | Path, **kwargs: object) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], check=True, **kwargs)  # type: ignore[call-overload]


def stamp_ok(name: str, *inputs: Path) -> tuple[bool, Path, str]:
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in inputs if p.exists())).hexdigest()
    stamp = VENV / f".{name}.stamp"
    return stamp.exists() and stamp.read_text() == digest, stamp, digest


def ensure_python() -> None:
    if not PYTHON.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    done, stamp, digest = stamp_ok("python", ROOT / "pyproject.toml")
    if not done:
        run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PYTHON, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev]")
        stamp.write_text(digest)


def ensure_system_packages() -> None:
    missing = [
        name
        for name, probe in SYSTEM_PACKAGES.items()
        if not (Path(probe).exists() if probe.startswith("/") else shutil.which(probe))
    ]
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(*sudo, "apt-get", "update", "-qq", env=env)
    run(*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env)


def ensure_node_packages() -> None:
    lock = ROOT / "package-lock.json"
    if not lock.exists():
        return
    done, stamp, digest = stamp_ok("node", ROOT / "package.json", lock)
    if not done or not (ROOT / "node_modules").exists():
        # --ignore-scripts: install scripts only download browsers or a JDK, which we bring.
        run("npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", cwd=ROOT)
        stamp.write_text(digest)


def serve(extra: list[str]) -> int:
    ensure_python()
    return subprocess.call([str(PYTHON), str(ROOT / "build.py"), "serve", *extra], cwd=ROOT)


def test(extra: list[str]) -> int:
    ensure_python()
    ensure_system_packages()
    ensure_node_packages()
    bin_dir = VENV / "bin"
    for check in (
        [bin_dir / "ruff", "check", "."],
        [bin_dir / "ruff", "format", "--check", "."],
        [bin_dir / "mypy"],
    ):
        if subprocess.call([str(part) for part in check], cwd=ROOT) != 0:
            print(f"FAILED: {' '.join(str(part) for part in check)}", file=sys.stderr)
            return 1
    return subprocess.call([str(PYTHON), "-m", "pytest", *extra], cwd=ROOT)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("serve", "test"):
        print(__doc__, file=sys.stderr)
        return 2
    command, extra = sys.argv[1], sys.argv[2:]
    return serve(extra) if command == "serve" else test(extra)


if __name__ == "__main__":
    sys.exit(main())

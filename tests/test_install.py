"""The installed package, outside the checkout: a wheel built from the repository, installed
(not editable) into a fresh virtual environment, and `newsdesk demo` run from an empty
directory. It proves that the demo site's content and its sites file are package data, and
that nothing at run time reaches back into a checkout (fixtures/, sites.toml, tests/).

The wheel is installed without its dependencies, which the new environment reads from this
one's site-packages through a .pth line: downloading and building Scrapy, lxml and the rest
would make the test minutes longer and prove nothing about newsdesk's own packaging. A
path line in a .pth file adds that directory only; .pth files inside it (this environment's
editable install of newsdesk) are not run, so the checkout stays out of reach.
"""
from __future__ import annotations

import os
import shutil
import site
import sqlite3
import subprocess
import sys
import sysconfig
from pathlib import Path

from conftest import REPO


def _copy_of_repository(dest: Path) -> Path:
    """The files git tracks (symlinks kept as links), so that the build sees what a clone has."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, files.decode().split("\0")):
        src, dst = REPO / name, dest / name
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_symlink():
            dst.symlink_to(os.readlink(src))
        elif src.exists():
            shutil.copy2(src, dst)
    return dest


def test_newsdesk_demo_works_from_a_wheel_installed_outside_the_checkout(tmp_path):
    source = _copy_of_repository(tmp_path / "src")
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(source)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-3000:]
    wheel, = wheels.glob("newsdesk-*.whl")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib"), *site.getsitepackages()}
    (purelib / "newsdesk-test-dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    # --ignore-installed: pip sees this environment's editable newsdesk through the .pth line and
    # would otherwise call the wheel installed already (and must never uninstall that one).
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
                              "--no-index", "--ignore-installed", "-q", str(wheel)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr[-3000:]

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "NEWSDESK_SITES", "NEWSDESK_DATABASE_URL",
                                                            "SCRAPY_SETTINGS_MODULE", "VIRTUAL_ENV")}
    where = subprocess.run([str(python), "-c", "import crawler, models, pipelines; "
                            "print(crawler.__file__, models.__file__, pipelines.__file__)"],
                           cwd=empty, env=env, capture_output=True, text=True, timeout=60)
    assert where.returncode == 0, where.stderr
    assert all(path.startswith(str(venv)) for path in where.stdout.split()), where.stdout
    import_tests = subprocess.run([str(python), "-c", "import crawler.demosite.forum"], cwd=empty, env=env,
                                  capture_output=True, text=True, timeout=60)
    assert import_tests.returncode != 0  # the test-only servers are not part of the package

    demo = subprocess.run([str(venv / "bin" / "newsdesk"), "demo"], cwd=empty, env=env,
                          capture_output=True, text=True, timeout=600)
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "Traceback" not in demo.stderr
    assert "Crawl run #1: finished (finished)" in demo.stdout
    with sqlite3.connect(empty / "newsdesk.db") as db:  # the demo site's 50 articles and 665 comments
        assert db.execute("SELECT count(*) FROM articles").fetchone() == (50,)
        assert db.execute("SELECT count(*) FROM comments").fetchone() == (665,)

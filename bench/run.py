#!/usr/bin/env python3
"""Benchmarks Stride against Hugo, Eleventy, MkDocs and Pelican on one corpus; writes RESULTS.md.

    python bench/install_peers.py                 # once
    python bench/run.py [--sizes 4000,20000] [--runs 5] [--storage tmpfs,disk]

For each size and storage it makes the corpus (bench/corpus.py), lays it out for every peer
(../shared/bench/make_sites.py), then times whole processes: cold builds of every generator,
with the Markdown floor (bench/md_floor.py) timed in the same rounds, and Stride's and Hugo's
rebuilds with nothing changed, after editing one article's body, and after editing the base
template. Commands being compared
run in alternation, round after round, so a drift in machine speed hits all of them; the median
of the rounds is kept. Peak memory is the largest RSS of any one process of a build (wait4).
After the timed runs, Stride's warm output is checked byte for byte against a cold build.
Results go to bench/results/*.json and the tables to bench/RESULTS.md. Standard library only;
run it with the Python that has Stride's dependencies. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
SHARED = REPO.parent / "shared" / "bench"
EDITED_FILE_INDEX = 0.5  # which article the one-edit runs touch: one from the middle


@dataclass
class Scenario:
    tool: str
    name: str
    command: list[str]
    cwd: Path
    prepare: Callable[[int], None] = lambda run: None
    seconds: list[float] = field(default_factory=list)
    peak_kb: list[int] = field(default_factory=list)

    def run(self, number: int) -> None:
        self.prepare(number)
        errors = self.cwd.parent / f".{self.tool}-stderr.txt"
        with errors.open("wb") as stderr:  # a file, not a pipe, which a chatty tool could fill
            started = time.perf_counter()
            process = subprocess.Popen(
                self.command, cwd=self.cwd, stdout=subprocess.DEVNULL, stderr=stderr
            )
            _, status, usage = os.wait4(process.pid, 0)
            self.seconds.append(time.perf_counter() - started)
        self.peak_kb.append(usage.ru_maxrss)  # the largest process of the build's tree
        if os.waitstatus_to_exitcode(status) != 0:
            message = errors.read_text(errors="replace")[-3000:]
            raise SystemExit(f"{self.tool} {self.name} failed: {' '.join(self.command)}\n{message}")

    def summary(self) -> dict[str, object]:
        return {
            "tool": self.tool,
            "scenario": self.name,
            "median_s": statistics.median(self.seconds),
            "runs_s": self.seconds,
            "peak_mb": max(self.peak_kb) / 1024,
        }


@dataclass
class FloorScenario(Scenario):
    """The Markdown floor, timed in the same rounds as the cold builds: the machine's speed
    drifts, so a floor timed once, minutes before or after, makes a poor yardstick. The time
    kept is the conversion time md_floor.py reports, without start-up and file reading."""

    def run(self, number: int) -> None:
        output = subprocess.run(self.command, check=True, capture_output=True, text=True)
        self.seconds.append(float(json.loads(output.stdout)["seconds"]))
        self.peak_kb.append(0)


def rounds(scenarios: list[Scenario], runs: int) -> None:
    for number in range(runs):
        for scenario in scenarios:
            scenario.run(number)
            print(
                f"  {scenario.tool:9} {scenario.name:14} {scenario.seconds[-1]:8.2f} s", flush=True
            )


def wipe(*paths: Path) -> Callable[[int], None]:
    def prepare(run: int) -> None:
        for path in paths:
            shutil.rmtree(path, ignore_errors=True)

    return prepare


def append_line(path: Path, what: str) -> Callable[[int], None]:
    def prepare(run: int) -> None:
        with path.open("a", encoding="utf-8") as file:
            file.write(f"\n{what} {run}.\n")

    return prepare


def replace_marker(path: Path, marker: str) -> Callable[[int], None]:
    """Rewrites `marker` (a line the benchmark added to a template) with the run's number."""

    def prepare(run: int) -> None:
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        # run + 1: the marker starts at 0, and rewriting it to 0 would be no edit at all.
        lines = [f"{marker}{run + 1} -->\n" if line.startswith(marker) else line for line in lines]
        path.write_text("".join(lines), encoding="utf-8")

    return prepare


def make_corpus(work: Path, size: int, shape: str) -> tuple[Path, Path]:
    content, flat = work / "content", work / "flat"
    command = [sys.executable, str(BENCH / "corpus.py"), "--out", str(content), "-n", str(size)]
    subprocess.run([*command, "--shape", shape, "--peer-corpus", str(flat)], check=True)
    return content, flat


def make_stride_project(work: Path) -> Path:
    """Stride's own templates and static files, with a budget that fits a 20,000-entry list."""
    project = work / "stride"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir()
    shutil.copy(REPO / "build.py", project / "build.py")
    # A copy, not a link: the engine measured stays the same while the repository changes.
    shutil.copytree(REPO / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    # Compiled to bytecode once, as pip does for every installed package, the peers' included:
    # a shell with PYTHONDONTWRITEBYTECODE set would otherwise compile Stride's source on
    # every run (about 50 ms).
    compileall.compile_dir(project / "src", quiet=1)
    shutil.copytree(REPO / "templates", project / "templates")  # edited by the template runs
    (project / "static").symlink_to(REPO / "static")
    # The section index lists every article on one page: far over the page-weight budget
    # at these sizes, which the audit would rightly refuse.
    settings = (REPO / "stride.toml").read_text(encoding="utf-8").splitlines()
    settings = [line for line in settings if not line.startswith("page_weight_budget_kb")]
    settings.append("page_weight_budget_kb = 1000000")
    (project / "stride.toml").write_text("\n".join(settings) + "\n", encoding="utf-8")
    _add_marker(project / "templates" / "base.html", "</head>")
    return project


def _add_marker(template: Path, before: str) -> None:
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace(before, f"{MARKER}0 -->\n{before}", 1), encoding="utf-8")


MARKER = "<!-- bench edit "


def make_peer_sites(flat: Path, work: Path, peers_prefix: Path) -> Path:
    sites = work / "sites"
    shutil.rmtree(sites, ignore_errors=True)
    peers = "hugo,eleventy,pelican,mkdocs"
    subprocess.run(
        [sys.executable, str(SHARED / "make_sites.py"), str(flat), str(sites), "--peers", peers],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (sites / "eleventy" / "node_modules").symlink_to(peers_prefix / "eleventy" / "node_modules")
    _add_marker(sites / "hugo" / "layouts" / "baseof.html", "</head>")
    return sites


def bench_one(size: int, storage: str, work: Path, args: argparse.Namespace) -> dict[str, object]:
    print(f"== {size} articles on {storage} ({work})", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    content, flat = make_corpus(work, size, args.shape)
    project = make_stride_project(work)
    sites = make_peer_sites(flat, work, args.peers)
    venv = args.peers / "venv" / "bin"
    hugo = [str(hugo_binary(args.peers)), "--quiet"]
    out, cache = work / "stride-out", work / "stride-cache"
    stride = [sys.executable, str(project / "build.py"), "build", "-q"]
    stride += ["--content", str(content), "--out", str(out)]
    articles = sorted((content / "articles").glob("*.md"))
    edited = articles[int(len(articles) * EDITED_FILE_INDEX)]
    hugo_edited = sites / "hugo" / "content" / "posts" / edited.name
    runs_cold = args.runs if size <= 4000 else args.runs_large
    cold_peers = args.cold_peers if size <= 4000 else args.cold_peers_large

    print("-- cold builds, and the Markdown floor (one process) in the same rounds", flush=True)
    floor_command = [sys.executable, str(BENCH / "md_floor.py"), str(content)]
    floor_runs = FloorScenario("markdown", "floor", floor_command, project)
    cold = [
        Scenario("stride", "cold", [*stride, "--no-cache"], project, wipe(out)),
        floor_runs,
        Scenario(
            "hugo", "cold", hugo, sites / "hugo", wipe(*_in(sites / "hugo", "public", "resources"))
        ),
    ]
    peers = {
        "eleventy": Scenario(
            "eleventy",
            "cold",
            ["node_modules/.bin/eleventy", "--quiet"],
            sites / "eleventy",
            wipe(*_in(sites / "eleventy", "_site", ".cache")),
        ),
        "mkdocs": Scenario(
            "mkdocs",
            "cold",
            [str(venv / "mkdocs"), "build", "-q"],
            sites / "mkdocs",
            wipe(sites / "mkdocs" / "site"),
        ),
        "pelican": Scenario(
            "pelican",
            "cold",
            [str(venv / "pelican"), "-q", "-s", "pelicanconf.py"],
            sites / "pelican",
            wipe(sites / "pelican" / "output"),
        ),
    }
    rounds(cold, runs_cold)
    floor = {
        "files": size,
        "seconds": statistics.median(floor_runs.seconds),
        "runs_s": floor_runs.seconds,
    }
    cold.remove(floor_runs)
    peer_runs = [peers[name] for name in ("eleventy", "mkdocs", "pelican")]
    rounds(peer_runs, cold_peers)

    print("-- rebuilds (Stride with its cache, Hugo as it rebuilds)", flush=True)
    Scenario("stride", "warm-up", stride, project, wipe(out, cache)).run(0)  # fills the cache
    no_change = [
        Scenario("stride", "no-change", stride, project),
        Scenario("hugo", "no-change", hugo, sites / "hugo"),
    ]
    one_edit = [
        Scenario("stride", "one-edit", stride, project, append_line(edited, "An edit, run")),
        Scenario(
            "hugo", "one-edit", hugo, sites / "hugo", append_line(hugo_edited, "An edit, run")
        ),
    ]
    template = [
        Scenario(
            "stride",
            "template-edit",
            stride,
            project,
            replace_marker(project / "templates" / "base.html", MARKER),
        ),
        Scenario(
            "hugo",
            "template-edit",
            hugo,
            sites / "hugo",
            replace_marker(sites / "hugo" / "layouts" / "baseof.html", MARKER),
        ),
    ]
    rounds(no_change, args.runs)
    rounds(one_edit, args.runs)
    rounds(template, args.runs)
    identical = same_as_cold(stride, project, out, work) if args.verify else None
    latency = None
    if storage == "tmpfs" and str(size) in args.latency_sizes.split(","):
        latency = serve_latency(project, content, args.runs)
    scenarios = [*cold, *peer_runs, *no_change, *one_edit, *template]
    result = {
        "size": size,
        "storage": storage,
        "shape": args.shape,
        "floor": floor,
        "cores": os.cpu_count(),
        "identical_to_cold": identical,
        "serve_latency": latency,
        "scenarios": [s.summary() for s in scenarios],
    }
    shutil.rmtree(work, ignore_errors=True)
    return result


def hugo_binary(peers: Path) -> Path:
    """The binary itself: the package's `hugo` script would add a Python start-up to each run."""
    return next((peers / "venv" / "lib").glob("python*/site-packages/hugo/binaries/hugo"))


def same_as_cold(stride: list[str], project: Path, out: Path, work: Path) -> bool:
    print("-- checking warm output against a cold build", flush=True)
    reference = work / "stride-cold"
    command = [*stride[:-2], "--out", str(reference), "--no-cache"]
    subprocess.run(command, check=True, cwd=project)
    diff = subprocess.run(
        ["diff", "-rq", "-x", ".stride-manifest.json", str(out), str(reference)],
        capture_output=True,
        check=False,
    )
    print(f"  identical: {diff.returncode == 0}", flush=True)
    return diff.returncode == 0


def serve_latency(project: Path, content: Path, runs: int) -> dict[str, object]:
    print("-- dev server: save to served page", flush=True)
    script = [sys.executable, str(BENCH / "serve_latency.py"), str(project), str(content)]
    measured = subprocess.run(
        [*script, "--runs", str(runs)], check=True, capture_output=True, text=True
    )
    latency: dict[str, object] = json.loads(measured.stdout.strip().splitlines()[-1])
    print(f"  median {latency['median_s']:.3f} s", flush=True)
    return latency


def _in(folder: Path, *names: str) -> list[Path]:
    return [folder / name for name in names]


def environment(peers: Path) -> dict[str, str]:
    def version(command: list[str]) -> str:
        try:
            text = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            return "missing"
        return text.strip().splitlines()[-1] if text.strip() else "?"

    venv = peers / "venv" / "bin"
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    commit = version(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"])
    pip_versions = version(
        [
            str(venv / "python"),
            "-c",
            "import importlib.metadata as m; print(' · '.join("
            "f'{n} {m.version(n)}' for n in ('hugo', 'pelican', 'mkdocs', 'markdown')))",
        ]
    )
    stride_libs = version(
        [
            sys.executable,
            "-c",
            "import importlib.metadata as m; print(' · '.join("
            "f'{n} {m.version(n)}' for n in ('markdown', 'jinja2', 'nh3', 'pyyaml')))",
        ]
    )
    eleventy = version(
        [str(peers / "eleventy" / "node_modules" / ".bin" / "eleventy"), "--version"]
    )
    return {
        "date": datetime.datetime.now(tz=datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores ({cpu}), {memory_kb / 1024**2:.0f} GiB, "
        f"{platform.system()} {platform.release()}",
        "stride": f"commit {commit}, Python {platform.python_version()}, {stride_libs}",
        "peers": f"{pip_versions} · Eleventy {eleventy} · Node {version(['node', '--version'])}",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="4000,20000")
    parser.add_argument("--storage", default="tmpfs,disk", help="tmpfs, disk or both")
    parser.add_argument("--runs", type=int, default=5, help="rounds per scenario (median kept)")
    parser.add_argument("--runs-large", type=int, default=3, help="cold rounds above 4,000")
    parser.add_argument("--cold-peers", type=int, default=5, help="rounds of slow peers")
    parser.add_argument("--cold-peers-large", type=int, default=1)
    parser.add_argument("--shape", choices=("article", "small"), default="article")
    parser.add_argument("--peers", type=Path, default=Path("/tmp/peers"))
    parser.add_argument("--tmpfs", type=Path, default=Path("/dev/shm/stride-bench"))
    parser.add_argument("--disk", type=Path, default=BENCH / "work")
    parser.add_argument("--no-verify", dest="verify", action="store_false")
    parser.add_argument("--latency-sizes", default="4000", help="sizes to time the dev server at")
    parser.add_argument("--large-on-disk", action="store_true", help="sizes above 4,000 on disk")
    parser.add_argument("--results", type=Path, default=BENCH / "results")
    parser.add_argument("--stamp", help="name results like an earlier run, to report them together")
    args = parser.parse_args()
    args.peers = args.peers.absolute()
    if not (args.peers / "venv" / "bin" / "hugo").exists():
        raise SystemExit("peers missing: run python bench/install_peers.py first")
    args.results.mkdir(parents=True, exist_ok=True)
    stamp = args.stamp or datetime.datetime.now(tz=datetime.UTC).strftime("%Y%m%dT%H%M")
    info = environment(args.peers)
    for size in (int(text) for text in args.sizes.split(",")):
        for storage in args.storage.split(","):
            if size > 4000 and storage == "disk" and not args.large_on_disk:
                continue  # an hour more for little news; --large-on-disk to run it
            work = (args.tmpfs if storage == "tmpfs" else args.disk.absolute()) / str(size)
            result = {**info, **bench_one(size, storage, work, args)}
            path = args.results / f"{stamp}-{size}-{storage}.json"
            path.write_text(json.dumps(result, indent=1), encoding="utf-8")
            print(f"wrote {path}", flush=True)
    subprocess.run([sys.executable, str(BENCH / "report.py"), str(args.results)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

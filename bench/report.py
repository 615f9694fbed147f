#!/usr/bin/env python3
"""Turns the newest benchmark results (bench/results/*.json) into the tables of RESULTS.md.

    python bench/report.py [RESULTS_DIR]

Only the part of RESULTS.md between the two `results` markers is rewritten; the notes around
it are kept. Ratios are Stride's median over the other tool's median from the same run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
START, END = "<!-- results start -->", "<!-- results end -->"
GOALS = {"cold": "", "no-change": "≤ 0.1x", "one-edit": "≤ 0.2x", "template-edit": "≤ 0.5x"}
NAMES = {"hugo": "Hugo", "eleventy": "Eleventy", "mkdocs": "MkDocs", "pelican": "Pelican"}
LABELS = {
    "cold": "Cold build (no cache)",
    "no-change": "Rebuild, nothing changed",
    "one-edit": "Rebuild after editing one article",
    "template-edit": "Rebuild after editing the base template",
}


def newest(results: Path) -> list[dict[str, object]]:
    files = sorted(results.glob("*.json"))
    if not files:
        raise SystemExit(f"no results in {results}")
    stamp = files[-1].name.split("-", 1)[0]
    runs = [json.loads(f.read_text(encoding="utf-8")) for f in files if f.name.startswith(stamp)]
    return sorted(runs, key=lambda r: (r["size"], r["storage"] != "tmpfs"))


def table(run: dict[str, object]) -> str:
    scenarios = {(s["tool"], s["scenario"]): s for s in run["scenarios"]}  # type: ignore[attr-defined]

    def median(tool: str, name: str) -> float:
        return float(scenarios[(tool, name)]["median_s"])

    def runs(tool: str, name: str) -> int:
        return len(scenarios[(tool, name)]["runs_s"])

    lines = [
        f"### {run['size']:,} articles ({run['shape']}), output on {run['storage']}",
        "",
        "| | Stride | Hugo | Stride / Hugo | goal |",
        "|---|---:|---:|---:|---|",
    ]
    for name, label in LABELS.items():
        stride, hugo = median("stride", name), median("hugo", name)
        ratio = stride / hugo
        goal = GOALS[name]
        met = ""
        if goal:
            met = " ✅" if ratio <= float(goal.split()[1].rstrip("x")) else " ❌"
        lines.append(
            f"| {label} (median of {runs('stride', name)}) | {stride:.2f} s | {hugo:.2f} s "
            f"| {ratio:.2f}x | {goal}{met} |"
        )
    stride_mb = float(scenarios[("stride", "cold")]["peak_mb"])
    hugo_mb = float(scenarios[("hugo", "cold")]["peak_mb"])
    memory_met = " ✅" if stride_mb <= hugo_mb else " ❌"
    lines.append(
        f"| Peak RSS of the largest process, cold build | {stride_mb:.0f} MB | {hugo_mb:.0f} MB "
        f"| {stride_mb / hugo_mb:.2f}x | ≤ 1x{memory_met} |"
    )
    floor: dict[str, Any] = run["floor"]  # type: ignore[assignment]
    cores = int(run["cores"])  # type: ignore[call-overload]
    floor_s = float(floor["seconds"]) / cores
    cold = median("stride", "cold")
    floor_met = " ✅" if cold <= 1.15 * floor_s else " ❌"
    timed = (
        f" (median of {len(floor['runs_s'])}, timed in the same rounds as the cold builds)"
        if "runs_s" in floor
        else ""
    )
    lines += [
        "",
        f"Markdown floor: Python-Markdown alone converts the {floor['files']:,} bodies with "
        f"Stride's extensions in {float(floor['seconds']):.1f} s in one process{timed}, "
        f"{floor_s:.1f} s over {cores} cores. "
        f"Stride's cold build is **{cold / floor_s:.2f}x** that floor (goal ≤ 1.15x{floor_met}).",
        "",
        "| Cold build | median | its time / Stride's | goal |",
        "|---|---:|---:|---|",
    ]
    for tool in ("hugo", "eleventy", "mkdocs", "pelican"):
        if (tool, "cold") not in scenarios:
            continue
        seconds = median(tool, "cold")
        goal = "≥ 2x" if tool in ("mkdocs", "pelican") else ""
        met = (" ✅" if seconds / cold >= 2 else " ❌") if goal else ""
        lines.append(
            f"| {NAMES[tool]} (median of {runs(tool, 'cold')}) | {seconds:.2f} s "
            f"| {seconds / cold:.2f}x | {goal}{met} |"
        )
    latency = run.get("serve_latency")
    if isinstance(latency, dict):
        runs_s = ", ".join(f"{value:.2f}" for value in latency["runs_s"])
        met = " ✅" if latency["median_s"] < 0.5 else " ❌"
        lines += [
            "",
            f"Dev server, from saving an article to the server answering with the changed page: "
            f"median **{latency['median_s']:.2f} s** (runs: {runs_s} s; goal < 0.5 s{met}).",
        ]
        if "full_rebuild_median_s" in latency:
            lines[-1] += (
                " The server shows the edited page first; the rebuild of the whole site that "
                f"follows was done after a median of {latency['full_rebuild_median_s']:.2f} s."
            )
    identical = run.get("identical_to_cold")
    if identical is not None:
        verdict = "byte-identical" if identical else "**different**"
        lines += ["", f"Stride's output after all the rebuilds was {verdict} to a cold build."]
    return "\n".join(lines)


def render(runs: list[dict[str, object]]) -> str:
    first = runs[0]
    head = [
        f"Run of {first['date']} on {first['machine']}.",
        "",
        f"- Stride: {first['stride']}",
        f"- Peers: {first['peers']}",
        "",
        "",
    ]
    return "\n".join(head) + "\n\n".join(table(run) for run in runs)


def main() -> int:
    results = Path(sys.argv[1]) if len(sys.argv) > 1 else BENCH / "results"
    target = BENCH / "RESULTS.md"
    text = target.read_text(encoding="utf-8") if target.exists() else f"{START}\n{END}\n"
    before, _, rest = text.partition(START)
    _, _, after = rest.partition(END)
    target.write_text(f"{before}{START}\n{render(newest(results))}\n{END}{after}", "utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

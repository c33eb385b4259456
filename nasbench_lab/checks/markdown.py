"""``validation.md``: the table of checks (reference, ours ± uncertainty, tolerance, status,
seconds), one paragraph per check saying how it was measured, and the environment."""
from __future__ import annotations

from nasbench_lab.checks.check import Result, Validation


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(results: list[Result]) -> str:
    """The Markdown table of ``results``, one row per check."""
    lines = ["| check | reference | ours ± uncertainty | tolerance | status | seconds |",
             "| --- | --- | --- | --- | --- | ---: |"]
    for r in results:
        c, m = r.check, r.measurement
        status = r.status.upper() if r.status != "pass" else "pass"
        lines.append(f"| `{c.name}` | {_cell(c.reference_text(m))} | {_cell(r.ours_text())} | "
                     f"{_cell(c.tolerance_text(m))} | {status} | {r.seconds:.1f} |")
    return "\n".join(lines)


def details(results: list[Result]) -> str:
    """One paragraph per check: what it measures, against what, how, and why it passed or not."""
    parts = []
    for r in results:
        c, m = r.check, r.measurement
        lines = [f"**`{c.name}`** ({r.status}): {c.title}.", f"Reproduces: {c.reproduces}."]
        if m is not None and m.detail:
            lines.append(f"Measured: {m.detail}.")
        lines.append(f"Judged: {r.reason}.")
        if c.note:
            lines.append(f"Note: {c.note}.")
        lines.append(f"Re-derive: `{c.command}`.")
        if m is not None and m.figure:
            lines.append(f"Figure: [{m.figure}]({m.figure}).")
        parts.append(" ".join(lines))
    return "\n\n".join(parts)


def markdown(validation: Validation) -> str:
    counts = validation.counts()
    env = validation.environment
    head = (f"# nasbench-lab validate --{validation.mode}\n\n"
            f"{validation.started}: {len(validation.results)} checks, {counts['pass']} passed, "
            f"{counts['fail']} failed, "
            f"{counts['error']} errors, {counts['skipped']} skipped; {validation.seconds:.0f} s wall, "
            f"{validation.cpu_seconds:.0f} s CPU (this process and its workers).\n")
    versions = ", ".join(f"{k} {v}" for k, v in env.get("versions", {}).items())
    files = "\n".join(f"- `{path}`: sha256 `{digest}`" for path, digest in env.get("data_files", {}).items())
    env_text = (f"## Environment\n\nPython {env.get('python')} on {env.get('platform')}, {env.get('cpus')} CPUs, "
                f"{env.get('jobs')} worker processes. {versions}.\n\nData files read:\n\n{files or '- none'}\n")
    return "\n".join([head, table(validation.results), "", "## Checks", "", details(validation.results), "",
                      env_text])

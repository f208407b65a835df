"""PyNN's own system scenarios against volley.pynn.

The scenarios (``test/system/scenarios`` of the PyNN 0.13.0 source
distribution) are fetched from the package registry at test time — not
copied into this repository — and run through a small adapter
(``pynn_adapter/``). ``pynn_scenarios.json`` records what each one did when
the backend was last reviewed: ``passed``, or ``unsupported`` with the reason
(the feature volley.pynn refuses by name). This test fails if a scenario
that passed fails, or if any scenario fails outright.

``python tests/test_pynn_scenarios.py --table`` prints the table of
docs/python.md; ``--update`` rewrites the JSON from a fresh run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

HERE = Path(__file__).parent
EXPECTED = HERE / "pynn_scenarios.json"
PYNN = "pynn==0.13.0"


def _cache() -> Path:
    root = os.environ.get("VOLLEY_TEST_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "volley-tests"
    )
    return Path(root)


def fetch_pynn_sdist() -> Path:
    """The PyNN 0.13.0 source distribution, unpacked (downloaded once)."""
    cache = _cache()
    target = cache / "pynn-0.13.0"
    if (target / "test" / "system" / "scenarios" / "test_scenario1.py").exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    sdists = list(cache.glob("pynn-0.13.0.tar.gz"))
    if not sdists:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q", "-d",
             str(cache), PYNN],
            check=True,
        )
        sdists = list(cache.glob("pynn-0.13.0.tar.gz"))
    tmp = cache / "unpack.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    with tarfile.open(sdists[0]) as tar:
        tar.extractall(tmp, filter="data") if sys.version_info >= (3, 12) else tar.extractall(tmp)
    shutil.rmtree(target, ignore_errors=True)
    (tmp / "pynn-0.13.0").rename(target)
    shutil.rmtree(tmp, ignore_errors=True)
    return target


def fetch_pynn_file(relpath: str) -> Path:
    """A file of the PyNN 0.13.0 source distribution."""
    return fetch_pynn_sdist() / relpath


def fetch_scenarios() -> Path:
    return fetch_pynn_sdist() / "test" / "system" / "scenarios"


def run_scenarios(workdir: Path, substitute: bool = False) -> dict:
    """Run every scenario; ``{test id: (outcome, message)}``. `substitute`:
    conductance-based placeholder cells replaced (see pynn_adapter)."""
    workdir = workdir / ("substituted" if substitute else "as_written")
    workdir.mkdir(parents=True)
    pkg = workdir / "scenarios"
    shutil.copytree(fetch_scenarios(), pkg, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(HERE / "pynn_adapter" / "fixtures.py", pkg / "fixtures.py")
    shutil.copy(HERE / "pynn_adapter" / "conftest.py", workdir / "conftest.py")
    report = workdir / "report.xml"
    env = dict(os.environ, MPLBACKEND="Agg", VOLLEY_PYNN_SUBSTITUTE="1" if substitute else "0")
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", "scenarios"],
        cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    results = {}
    for case in ET.parse(report).getroot().iter("testcase"):
        test = f"{case.get('classname').split('.')[-1]}::{case.get('name')}"
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                outcome = "failed" if tag in ("failure", "error") else "skipped"
                message = node.get("message") or ""
        if outcome == "skipped" and message.startswith("unsupported: "):
            outcome, message = "unsupported", message[len("unsupported: "):]
        results[test] = (outcome, message)
    return results


@pytest.mark.parametrize("substitute", [False, True], ids=["as_written", "cond_to_curr"])
def test_pynn_scenarios(tmp_path, substitute):
    pytest.importorskip("pyNN")
    key = "substituted" if substitute else "status"
    expected = json.loads(EXPECTED.read_text())
    results = run_scenarios(tmp_path, substitute)
    assert results, "no scenario ran"
    regressions = [t for t, e in expected.items() if e[key] == "passed" and results.get(t, ("missing",))[0] != "passed"]
    failures = {t: m for t, (o, m) in results.items() if o == "failed"}
    assert not regressions, f"scenarios that passed before fail now: {regressions}: {failures}"
    if not substitute:
        assert not failures, f"scenarios fail: {failures}"
    newly = [t for t, (o, _) in results.items() if o == "passed" and expected.get(t, {}).get(key) != "passed"]
    if newly:
        print(f"scenarios passing now, not yet in {EXPECTED.name}: {newly}")


def _table(plain: dict, substituted: dict) -> str:
    lines = ["| scenario | as written | IF_cond_* → IF_curr_* | why not passed |", "|---|---|---|---|"]
    for test in sorted(plain):
        (o1, m1), (o2, m2) = plain[test], substituted.get(test, ("missing", ""))
        why = m1 if o1 != "passed" else ""
        if o2 not in ("passed", o1) or (o2 != "passed" and m2 != m1):
            why += f"{'; ' if why else ''}with IF_curr_*: {m2.splitlines()[0] if m2 else o2}"
        lines.append(f"| `{test.replace('[volley]', '')}` | {o1} | {o2} | {why.replace('|', '/')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        plain = run_scenarios(Path(d), False)
        substituted = run_scenarios(Path(d), True)
    if "--update" in sys.argv:
        table = {}
        for t, (o, m) in sorted(plain.items()):
            table[t] = {"status": o, "substituted": substituted.get(t, ("missing", ""))[0]}
            if o != "passed":
                table[t]["reason"] = m
        EXPECTED.write_text(json.dumps(table, indent=1, ensure_ascii=False) + "\n")
    if "--table" in sys.argv:
        print(_table(plain, substituted))
    for name, res in (("as written", plain), ("IF_cond_* -> IF_curr_*", substituted)):
        counts = {}
        for o, _ in res.values():
            counts[o] = counts.get(o, 0) + 1
        print(name, counts, file=sys.stderr)

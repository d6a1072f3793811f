"""The resource checker of `crawl.workers = 2` is forked from a crawler that runs no other thread (it starts with
everything imported), else spawned; a spawned one must not run the parent's main script (for the `siteaudit`
console script, the whole CLI and its imports) before its own work."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent("""
    import multiprocessing
    import sys

    from siteaudit.crawler.resource_process import main_script_not_rerun

    print("main script ran", flush=True)
    if __name__ == "__main__":
        child = multiprocessing.get_context("spawn").Process(target=print, args=("child ran",))
        if sys.argv[1] == "guarded":
            with main_script_not_rerun():
                child.start()
        else:
            child.start()
        child.join()
        sys.exit(child.exitcode)
""")


def test_a_spawned_child_does_not_run_the_parents_main_script_again(tmp_path: Path) -> None:
    script = tmp_path / "main_script.py"
    script.write_text(SCRIPT, encoding="utf-8")
    runs = {how: subprocess.run([sys.executable, str(script), how], capture_output=True, text=True, timeout=60)
            for how in ("guarded", "plain")}
    for result in runs.values():
        assert result.returncode == 0 and "child ran" in result.stdout, result.stderr
    assert runs["guarded"].stdout.count("main script ran") == 1
    assert runs["plain"].stdout.count("main script ran") == 2  # what spawn does without the guard


def test_the_checker_is_forked_from_a_single_threaded_crawler_and_spawned_beside_other_threads() -> None:
    probe = textwrap.dedent("""
        import threading
        from siteaudit.crawler.resource_process import start_method

        print(start_method())
        stop = threading.Event()
        other = threading.Thread(target=stop.wait)
        other.start()
        print(start_method())
        stop.set()
        other.join()
        print(start_method())
    """)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["fork", "spawn", "fork"]

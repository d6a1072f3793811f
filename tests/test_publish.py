"""`siteaudit publish`: the public results page, audited by siteaudit itself, its figures the run's."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from lxml import html as lxml_html

from conftest import audit_fixture, run_cli, write_config

PUBLISH = """[publish]
identifier = "313221200K"
theme = "770"
cake = "C21"
service = "E41"
update_rule = "本處網站資訊每月至少更新一次，依「網頁維護標準作業程序」辦理。"
"""


def publish_config(tmp_path: Path, demo_run: dict, agency: str = "台灣自來水公司第一區管理處", extra: str = PUBLISH
                   ) -> Path:
    return write_config(tmp_path / "pub.toml", demo_run["base"], demo_run["db_path"],
                        site={"name": "demo", "agency": agency}, extra=extra)


def test_the_public_page_states_the_runs_own_figures(demo_run, tmp_path):
    result = run_cli("publish", "--config", str(publish_config(tmp_path, demo_run)), "--out", str(tmp_path / "www"))
    assert result.returncode == 0, result.stderr
    figures = json.loads((tmp_path / "www" / "results.json").read_text(encoding="utf-8"))
    doc = json.loads((demo_run["out"] / "findings.json").read_text(encoding="utf-8"))
    links, fresh = doc["summary"]["links"], doc["summary"]["freshness"]
    assert figures["run"] == demo_run["run_id"]
    assert (figures["links"]["checked"], figures["links"]["broken"]) == (links["targets_checked"], links["broken"])
    assert figures["freshness"]["within_limit_share"] == fresh["within_limit_share"]
    assert figures["mark"]["passed"] == doc["summary"]["accessibility"]["mark"]["passed"]
    assert figures["availability"]["days"] == 30
    page = lxml_html.fromstring((tmp_path / "www" / "index.html").read_bytes())
    cells = {row.xpath("string(th)"): row.xpath("string(td)") for row in page.xpath("//tr")}
    assert cells["檢查的連結"] == str(links["targets_checked"]) and cells["發現失效"] == str(links["broken"])
    assert "每月至少更新一次" in page.text_content()
    assert page.xpath("string(//meta[@name='Category.Theme']/@content)") == "770"


def test_the_public_page_passes_the_sites_own_accessibility_and_metadata_checks(demo_run, tmp_path, serve):
    www = tmp_path / "www"
    assert run_cli("publish", "--config", str(publish_config(tmp_path, demo_run)), "--out", str(www)).returncode == 0
    server = serve(www)
    audit = tmp_path / "audit"
    audit.mkdir()
    _, doc = audit_fixture(audit, server.base, "accessibility,metadata")
    assert doc["summary"]["accessibility"]["pages_tested"] == 1
    assert doc["summary"]["metadata"]["pass_rate"] == 100.0, doc["summary"]["metadata"]
    errors = [(f["rule"], f["message"]) for f in doc["findings"] if f["severity"] == "error"
              and not f["rule"].startswith("mark-")]  # the page is not the site's home page: no mark of its own
    assert errors == []


def test_html_in_a_site_name_is_escaped_and_no_local_path_or_credential_is_published(demo_run, tmp_path):
    www = tmp_path / "www"
    cfg = publish_config(tmp_path, demo_run, agency='水<script>alert(1)</script>"處"')
    assert run_cli("publish", "--config", str(cfg), "--out", str(www)).returncode == 0
    text = (www / "index.html").read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text
    for output in (text, (www / "results.json").read_text(encoding="utf-8")):
        assert str(demo_run["db_path"]) not in output and str(tmp_path) not in output and "/home/" not in output


def test_a_page_without_its_classification_codes_is_one_line_and_nothing_written(demo_run, tmp_path):
    cfg = publish_config(tmp_path, demo_run, extra='[publish]\nidentifier = "313221200K"\n')
    result = run_cli("publish", "--config", str(cfg), "--out", str(tmp_path / "www"))
    assert result.returncode == 2 and "publish.theme" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "www").exists()


def test_a_reader_polling_the_page_while_it_is_rewritten_never_sees_it_partial(demo_run, tmp_path):
    www = tmp_path / "www"
    cfg = publish_config(tmp_path, demo_run)
    assert run_cli("publish", "--config", str(cfg), "--out", str(www)).returncode == 0
    seen: list[str] = []
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            seen.append((www / "index.html").read_text(encoding="utf-8"))

    reader = threading.Thread(target=poll)
    reader.start()
    try:
        for _ in range(3):
            assert run_cli("publish", "--config", str(cfg), "--out", str(www)).returncode == 0
    finally:
        done.set()
        reader.join()
    assert seen and all(page.rstrip().endswith("</html>") for page in seen)


def test_schedule_install_adds_the_publish_step_after_each_nightly_audit(tmp_path):
    cfg = write_config(tmp_path / "c.toml", "http://127.0.0.1:9", tmp_path / "s.sqlite3",
                       site={"agency": "第一區管理處"}, extra=PUBLISH)
    www, units = tmp_path / "www", tmp_path / "units"
    result = run_cli("schedule", "install", "--config", str(cfg), "--dest", str(units), "--publish-to", str(www),
                     "--outdir", str(tmp_path / "r"), "--logdir", str(tmp_path / "l"))
    assert result.returncode == 0, result.stderr
    for unit in ("siteaudit-audit.service", "siteaudit-audit-full.service"):
        lines = (units / unit).read_text(encoding="utf-8").splitlines()
        audit = next(i for i, line in enumerate(lines) if line.startswith("ExecStart="))
        publish = next(i for i, line in enumerate(lines) if line.startswith("ExecStartPost="))
        assert publish > audit and lines[publish].endswith(f"publish latest --config {cfg} --out {www}")
    assert "publish" not in (units / "siteaudit-uptime.service").read_text(encoding="utf-8")
    cron = run_cli("schedule", "print", "--config", str(cfg), "--kind", "cron", "--publish-to", str(www))
    audits = [line for line in cron.stdout.splitlines() if " audit " in line and not line.startswith("#")]
    assert len(audits) == 2 and all("; " in a and a.split("; ", 1)[1].split(" >> ")[0].endswith(
        f"publish latest --config {cfg} --out {www}") for a in audits), audits
    without = run_cli("schedule", "print", "--config", str(cfg), "--kind", "systemd")
    assert "ExecStartPost" not in without.stdout and "{publish" not in without.stdout


def test_a_publish_step_without_the_pages_codes_is_refused_when_installed_not_at_night(tmp_path):
    cfg = write_config(tmp_path / "c.toml", "http://127.0.0.1:9", tmp_path / "s.sqlite3",
                       site={"agency": "第一區管理處"})
    result = run_cli("schedule", "install", "--config", str(cfg), "--dest", str(tmp_path / "units"),
                     "--publish-to", str(tmp_path / "www"))
    assert result.returncode == 2 and "publish.identifier" in result.stderr and not (tmp_path / "units").exists()

"""The command line: outputs, exit codes and one-line errors for bad input."""

from __future__ import annotations

import json
import socket

import pytest
from lxml import html as lxml_html

from conftest import judged_clean, run_cli, write_config


def assert_one_line_error(result, code: int, *words: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    err = result.stderr.strip()
    assert "Traceback" not in result.stderr
    assert len(err.splitlines()) == 1, err
    for word in words:
        assert word in err


def test_demo_command_writes_report_and_findings(tmp_path):
    result = run_cli("demo", "--out", str(tmp_path / "out"), "--store", str(tmp_path / "s.sqlite3"))
    assert result.returncode == 0, result.stderr
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert doc["run"]["site"] == "demo" and doc["pages"] >= 40
    assert doc["summary"]["links"]["status"] == "fail"
    # the demo probes its own site first, so its report decides every item of the plan
    assert {i["id"]: i["status"] for i in doc["inspection"] if i["status"] not in ("pass", "fail")} == {}
    assert "本月 已檢測" in next(i for i in doc["inspection"] if i["id"] == "uptime")["measured_zh"]
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "連結有效性" in html and "dead-host.example.invalid" in html


def test_findings_json_follows_the_schema(demo_run):
    doc = json.loads((demo_run["out"] / "findings.json").read_text(encoding="utf-8"))
    assert set(doc) == {"schema_version", "run", "status", "inspection", "summary", "pages", "findings"}
    assert doc["schema_version"] == 2
    assert doc["status"] == "fail"  # the demo has deliberate defects
    items = {i["id"]: i for i in doc["inspection"]}
    assert list(items)[0] == "disclosure" and list(items)[-1] == "services-participation" and len(items) == 18
    assert items["links"]["status"] == "fail" and items["links"]["measured_en"].endswith("could not be verified")
    assert items["uptime"]["status"] == "not_run"  # the demo has no nightly probes
    for f in doc["findings"]:
        assert set(f) - {"message_en"} == {"id", "check", "rule", "severity", "url", "pages", "message", "evidence",
                                           "capture"}
        assert isinstance(f.get("message_en", ""), str)
        assert f["capture"] is None or {"url", "timestamp", "record", "wacz", "replay"} <= set(f["capture"])
        assert f["severity"] in ("error", "warning", "notice")
        assert isinstance(f["pages"], list) and isinstance(f["evidence"], dict)
    assert len({f["id"] for f in doc["findings"]}) == len(doc["findings"])  # one id per finding


def test_report_command_rerenders_a_stored_run(demo_run, tmp_path):
    store = demo_run["db"].execute("PRAGMA database_list").fetchone()["file"]
    result = run_cli("report", str(demo_run["run_id"]), "--store", store, "--out", str(tmp_path / "again"),
                     "--lang", "en")
    assert result.returncode == 0, result.stderr
    assert "Link validity" in (tmp_path / "again" / "report.html").read_text(encoding="utf-8")


def test_bad_config_is_a_one_line_error_naming_the_key(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text('[site]\nstart_urls = ["http://127.0.0.1:9/"]\n[crawl]\nmax_pages = "many"\n', encoding="utf-8")
    assert_one_line_error(run_cli("audit", "--config", str(cfg)), 2, "crawl.max_pages")
    cfg.write_text('[site]\nstart_urls = ["http://127.0.0.1:9/"]\nspeed = 3\n', encoding="utf-8")
    assert_one_line_error(run_cli("audit", "--config", str(cfg)), 2, "site.speed")
    cfg.write_text('[site\nstart_urls = 1', encoding="utf-8")
    assert_one_line_error(run_cli("audit", "--config", str(cfg)), 2, "invalid TOML")
    assert_one_line_error(run_cli("audit", "--config", str(tmp_path / "missing.toml")), 2, "missing.toml")


def test_unknown_check_option_is_a_config_error(tmp_path):
    cfg = write_config(tmp_path / "c.toml", "http://127.0.0.1:9", tmp_path / "s.sqlite3",
                       extra="[checks.links]\nmax_redirect = 3\n")
    assert_one_line_error(run_cli("audit", "--config", str(cfg)), 2, "checks.links.max_redirect")


def test_non_http_url_is_a_usage_error():
    assert_one_line_error(run_cli("audit", "ftp://127.0.0.1/"), 2, "not an http(s) URL")
    assert_one_line_error(run_cli("audit", "not a url"), 2, "not an http(s) URL")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_site_exits_3(tmp_path):
    result = run_cli("audit", f"http://127.0.0.1:{free_port()}/", "--store", str(tmp_path / "s.sqlite3"),
                     "--out", str(tmp_path / "out"))
    assert_one_line_error(result, 3, "could not crawl", "refused")


def test_resume_without_an_interrupted_run_is_a_usage_error(tmp_path):
    result = run_cli("audit", "http://127.0.0.1:9/", "--resume", "--store", str(tmp_path / "s.sqlite3"))
    assert_one_line_error(result, 2, "nothing to resume")


@pytest.mark.parametrize("command", [["--help"], ["audit", "--help"], ["demo", "--help"]])
def test_help_lists_the_commands(command):
    result = run_cli(*command)
    assert result.returncode == 0 and "usage" in result.stdout


def test_init_writes_a_config_that_loads(tmp_path):
    path = tmp_path / "site.toml"
    assert run_cli("init", str(path)).returncode == 0
    from siteaudit.core.config import load

    cfg = load(path)
    assert cfg.crawl.obey_robots and cfg.crawl.autothrottle and cfg.crawl.concurrency_per_host <= 4
    assert "siteaudit" in cfg.user_agent
    assert_one_line_error(run_cli("init", str(path)), 2, "already exists")


def test_the_demo_report_finds_every_deliberate_defect_of_the_registered_checks(demo_run):
    from siteaudit.checks import REGISTRY

    doc = json.loads((demo_run["out"] / "findings.json").read_text(encoding="utf-8"))
    base = demo_run["base"]
    found = set()
    for f in doc["findings"]:  # a rule merged into another's finding on the same element (`also`) is found too
        for rule in (f["rule"], *f["evidence"].get("also", [])):
            found.add((f["check"], rule, f["url"].replace(base, "")))
            for page in f["pages"]:
                found.add((f["check"], rule, page.replace(base, "")))
            for ref in f["evidence"].get("referrers", []):
                found.add((f["check"], rule, ref.get("href") or ""))
    missing = [d for d in demo_run["truth"]["defects"] if d["check"] in REGISTRY
               and (d["check"], d["rule"], d["url"]) not in found
               and not (d["url"] == "" and any(c == d["check"] and r == d["rule"] for c, r, _ in found))]
    assert not missing


def test_the_demo_reports_a_vague_link_and_a_link_to_a_docx_once_each(demo_run):
    """Vague link text is the accessibility check's (WCAG 2.4.4, with a selector), a .docx the documents check's."""
    doc = json.loads((demo_run["out"] / "findings.json").read_text(encoding="utf-8"))
    assert not {f["rule"] for f in doc["findings"]} & {"non-descriptive-text", "office-format-link"}
    docx = [(f["check"], f["rule"]) for f in doc["findings"] if "change-form.docx" in json.dumps(f, ensure_ascii=False)]
    assert docx == [("documents", "office-without-odf")]
    vague = [(f["check"], f["rule"]) for f in doc["findings"]
             if any(p.endswith("/news/n004.html") for p in f["pages"]) and "請按此" in json.dumps(f, ensure_ascii=False)]
    assert vague == [("accessibility", "vague-link-text")]


def test_scrapy_crawl_site_works_as_well_as_the_cli(tmp_path, serve):
    import subprocess
    import sys

    from conftest import ROOT

    (tmp_path / "index.html").write_text('<html><head><title>首頁</title></head><body><a href="/a.html">甲</a>'
                                         "</body></html>", encoding="utf-8")
    (tmp_path / "a.html").write_text("<html><head><title>甲</title></head><body>ok</body></html>", encoding="utf-8")
    server = serve(tmp_path)
    store = tmp_path / "scrapy.sqlite3"
    cfg = write_config(tmp_path / "c.toml", server.base, store, crawl={"sitemaps": False})
    result = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "site", "-a", f"config={cfg}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    import sqlite3

    db = sqlite3.connect(store)
    assert {r[0] for r in db.execute("SELECT url FROM pages")} == {server.base + "/", server.base + "/a.html"}


def test_the_checks_phase_shows_progress_and_the_last_line_is_the_verdict(tmp_path, serve):
    (tmp_path / "index.html").write_text("<html lang='zh-Hant'><head><title>首頁</title></head><body>x</body></html>",
                                         encoding="utf-8")
    server = serve(tmp_path)
    cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3", crawl={"sitemaps": False})
    result = run_cli("audit", "--config", str(cfg), "--checks", "links,metadata", "--out", str(tmp_path / "o"))
    assert "checks 1/2: links pass in" in result.stderr and "checks 2/2: metadata" in result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("siteaudit: run ")


def test_report_latest_in_a_store_of_several_sites_names_them_instead_of_picking_one(tmp_path, serve):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<html><head><title>首頁</title></head><body>x</body></html>",
                                                  encoding="utf-8")
    server = serve(tmp_path / "site")
    store = tmp_path / "s.sqlite3"
    for name in ("water-a", "water-b"):
        cfg = write_config(tmp_path / f"{name}.toml", server.base, store, crawl={"sitemaps": False}, site={"name": name})
        judged_clean(run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / name)))
    refused = run_cli("report", "latest", "--store", str(store), "--out", str(tmp_path / "r"))
    assert_one_line_error(refused, 2, "2 sites", "water-a", "water-b", "--site")
    assert not (tmp_path / "r").exists()
    chosen = run_cli("report", "latest", "--store", str(store), "--site", "water-a", "--out", str(tmp_path / "r"),
                     "--format", "json")
    assert chosen.returncode == 0, chosen.stderr
    assert json.loads((tmp_path / "r" / "findings.json").read_text(encoding="utf-8"))["run"]["site"] == "water-a"


def test_an_unanswered_uptime_probe_prints_no_empty_figures(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = write_config(tmp_path / "c.toml", f"http://127.0.0.1:{port}", tmp_path / "s.sqlite3",
                       site={"agency": "測試處"}, extra="[uptime]\ntries = 1\nretry_wait = 0\n")
    result = run_cli("uptime", "--config", str(cfg))
    assert result.returncode == 1, result.stderr
    assert "異常" in result.stdout and "None" not in result.stdout, result.stdout


def test_a_run_of_some_checks_on_a_clean_site_is_never_a_pass(tmp_path, serve):
    """`--checks links` judges one item of eighteen: the run is 未完成, amber, exit 1, and says which items and why."""
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<html lang='zh-Hant'><head><title>首頁</title></head><body>x</body>"
                                                  "</html>", encoding="utf-8")
    server = serve(tmp_path / "site")
    cfg = write_config(tmp_path / "c.toml", server.base, tmp_path / "s.sqlite3", crawl={"sitemaps": False})
    result = run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(tmp_path / "o"))
    assert result.returncode == 1, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("siteaudit: run 1 incomplete — 1/18 items passed — not decided (17): "), last
    assert "uptime: This month: 0/" in last and str(tmp_path / "o" / "report.html") in last
    assert last.count("not selected") == 1, last  # items undecided for one reason are named together, once
    assert "disclosure, disclosure-years, documents, " in last
    doc = json.loads((tmp_path / "o" / "findings.json").read_text(encoding="utf-8"))
    assert doc["status"] == "incomplete"
    verdict = lxml_html.fromstring((tmp_path / "o" / "report.html").read_bytes()).get_element_by_id("verdict")
    assert "incomplete" in verdict.get("class") and "未完成：17 項未執行" in verdict.text_content()
    assert "通過 —" not in verdict.text_content() and "網站運轉情形" in verdict.text_content()

"""Open data (貳、盤點(2)) on fixture sites served from 127.0.0.1, as of TODAY: the open-data page, each dataset's
real format from its bytes, its update date, and links to the national data platform checked as links."""

from __future__ import annotations

import json

from conftest import as_of, audit_fixture, run_cli, write_config
from siteaudit.demo import documents as make
from siteaudit.demo.server import send

PAGE = "<html lang='zh-Hant'><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"


def write(root, pages: dict[str, tuple[str, str]], files: dict[str, bytes]) -> None:
    for name, (title, body) in pages.items():
        (root / name).write_text(PAGE.format(title=title, body=body), encoding="utf-8")
    (root / "data").mkdir(exist_ok=True)
    for name, data in files.items():
        (root / "data" / name).write_bytes(data)


def row(name: str, links: str, when: str) -> str:
    return f"<tr><td>{name}</td><td>{links}</td><td>{when}</td></tr>"


def audit(tmp_path, server, extra: str = ""):
    _, doc = audit_fixture(tmp_path, server.base, "opendata", extra=as_of("opendata") + extra)
    item = next(i for i in doc["inspection"] if i["id"] == "opendata")
    rules = {f["rule"]: f for f in doc["findings"] if f["check"] == "opendata"}
    return item, rules, doc["summary"]["opendata"]


def test_an_xlsx_only_dataset_fails_beside_a_csv_one_judged_from_its_bytes(serve, tmp_path):
    table = "<table>" + row("水質資料", '<a href="/data/quality.csv">下載</a>', "115年11月1日") + \
        row("用水統計", '<a href="/data/usage.xlsx">下載</a>', "115年10月1日") + \
        row("水價資料", '<a href="/data/price.csv">下載</a>', "115年9月1日") + "</table>"
    write(tmp_path, {"index.html": ("首頁", '<a href="/od.html">開放資料</a><a href="/decl.html">政府網站資料開放宣告</a>'),
                     "decl.html": ("政府網站資料開放宣告", "授權條款"), "od.html": ("開放資料專區", table)},
          {"quality.csv": "日期,濁度\n2026-11-01,0.3\n".encode(), "usage.xlsx": make.ooxml("xlsx", "用水"),
           "price.csv": make.ooxml("xlsx", "named .csv, really a workbook")})
    server = serve(tmp_path)
    item, rules, summary = audit(tmp_path, server)
    assert item["status"] == "fail" and item["evidence_urls"] == [f"{server.base}/od.html"]
    assert item["regulation"] == "提升服務品質執行計畫 貳、盤點(2)"
    closed = [f for f in (rules.get("dataset-closed-only"),) if f]
    assert closed and {d["name"]: d["verdict"] for d in summary["datasets_list"]} == {
        "水質資料": "open", "用水統計": "closed", "水價資料": "closed"}   # price.csv is an XLSX inside
    assert summary["datasets"] == 3 and summary["datasets_open"] == 1
    assert item["measured_en"] == "3 datasets, 1 in open formats; 2 only in closed formats"


def test_open_datasets_and_an_answering_platform_link_pass_and_a_stale_one_fails(serve, tmp_path):
    platform = serve(tmp_path / "platform", {"/dataset/123": lambda h: send(h, 200, PAGE.format(
        title="資料集", body="x").encode())}, host="localhost")
    api = '<a href="/api/v1/outages">API</a>'
    table = "<table>" + row("水質資料", '<a href="/data/q.ods">ODS</a> <a href="/data/q.xls">XLS</a>', "115年11月1日") + \
        row("平台", f'<a href="{platform.base}/dataset/123">資料集</a>', "115年11月20日") + "</table>" + api
    write(tmp_path, {"index.html": ("首頁", '<a href="/od.html">資料開放專區</a>'), "od.html": ("資料開放", table)},
          {"q.ods": make.odf("ods", "水質"), "q.xls": make.ole2("水質")})
    server = serve(tmp_path, {"/api/v1/outages": lambda h: send(h, 200, b'{"outages": []}', {
        "Last-Modified": "Tue, 24 Nov 2026 01:00:00 GMT"}, content_type="application/json")})
    host = 'platform_hosts = ["localhost"]\n'
    item, rules, summary = audit(tmp_path, server, host)
    assert not rules, rules
    assert item["status"] == "pass" and summary["datasets"] == 3 and summary["datasets_open"] == 3
    formats = {d["name"]: d["formats"] for d in summary["datasets_list"]}
    assert formats == {"水質資料": ["odf", "ole2"], "平台": ["platform"], "API": ["json"]}
    item, rules, _ = audit(tmp_path, server, host + "max_age_days = 20\n")
    assert item["status"] == "fail" and rules["dataset-stale"]["evidence"]["updated"] == "2026-11-01"


def test_no_open_data_page_fails_and_a_dataset_that_could_not_be_fetched_is_never_a_pass(serve, tmp_path):
    write(tmp_path, {"index.html": ("首頁", '<a href="/decl.html">政府網站資料開放宣告</a>'),
                     "decl.html": ("政府網站資料開放宣告", "x")}, {})
    server = serve(tmp_path)
    item, rules, _ = audit(tmp_path, server)
    assert item["status"] == "fail" and set(rules) == {"opendata-missing"} and item["evidence_note_zh"]
    (tmp_path / "od.html").write_text(PAGE.format(title="開放資料", body='<a href="http://localhost:9/dataset/1">資料集</a>'),
                                      encoding="utf-8")
    (tmp_path / "index.html").write_text(PAGE.format(title="首頁", body='<a href="/od.html">開放資料</a>'), encoding="utf-8")
    item, rules, summary = audit(tmp_path, server, 'platform_hosts = ["localhost"]\n')
    assert set(rules) == {"dataset-broken"} and item["status"] == "fail"
    cfg = write_config(tmp_path / "x.toml", server.base, tmp_path / "x.sqlite3", crawl={"sitemaps": False},
                       site={"exclude": ["^http://localhost:"]},
                       extra=as_of("opendata") + 'platform_hosts = ["localhost"]\n')
    run_cli("audit", "--config", str(cfg), "--checks", "opendata", "--out", str(tmp_path / "x"))
    doc = json.loads((tmp_path / "x" / "findings.json").read_text(encoding="utf-8"))
    item = next(i for i in doc["inspection"] if i["id"] == "opendata")
    assert [f["rule"] for f in doc["findings"]] == ["dataset-unverified"] and item["status"] == "incomplete"

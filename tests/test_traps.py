"""Crawler traps: cut, named in one notice, and their pages counted apart from the audited ones."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from conftest import audit_fixture
from siteaudit.demo.server import send


def calendar_day(handler) -> None:
    day = int(parse_qs(urlsplit(handler.path).query).get("d", ["1"])[0])
    send(handler, 200, f'<html><head><title>活動日曆 第{day}天</title></head><body><h1>活動日曆</h1>'
                        f'<a href="/cal?d={day + 1}">下一天</a></body></html>'.encode())


def news_item(handler) -> None:
    n = parse_qs(urlsplit(handler.path).query).get("id", ["0"])[0]
    send(handler, 200, f"<html><head><title>最新消息{n}</title></head><body><h1>最新消息{n}</h1></body></html>".encode())


def test_a_calendar_trap_is_one_notice_and_its_pages_are_not_audited(serve, tmp_path):
    links = '<a href="/cal?d=1">活動日曆</a>' + "".join(f'<a href="/news?id={i}">最新消息{i}</a>' for i in range(3))
    (tmp_path / "index.html").write_text(f"<html><head><title>首頁</title></head><body>{links}</body></html>",
                                         encoding="utf-8")
    server = serve(tmp_path, {"/cal": calendar_day, "/news": news_item})
    _, doc = audit_fixture(tmp_path, server.base, "links,metadata")
    traps = [f for f in doc["findings"] if f["rule"] == "crawler-trap"]
    assert len(traps) == 1, traps
    trap = traps[0]["evidence"]
    assert trap["path"] == server.base + "/cal" and trap["parameters"] == ["d"] and trap["skipped"] >= 1
    assert "/cal" in traps[0]["message"] and "略過" in traps[0]["message"]
    # the 下一天 pages are set apart: no title notice about them, not in the pages checked
    assert not [f for f in doc["findings"] if f["rule"] == "title-mismatch"]
    links_summary, meta = doc["summary"]["links"], doc["summary"]["metadata"]
    assert links_summary["trap_pages"] == trap["trap_pages"] >= 5
    assert meta["trap_pages"] == trap["trap_pages"]
    assert meta["html_pages"] == 1 + 1 + 3  # home, the calendar's entry day, the three news items
    assert doc["pages"] == meta["html_pages"]  # 檢查頁數 counts audited pages only

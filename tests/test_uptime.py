"""The nightly availability probe, its record form and its schedules."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import json
import sqlite3
import subprocess
import sys
import unicodedata

import pytest
import requests
import responses
from pypdf import PdfReader

from conftest import run_cli, write_config
from siteaudit.core.browser import find_browser
from siteaudit.core.config import from_dict
from siteaudit.core.dates import TAIPEI
from siteaudit.core.store import Store
from siteaudit.demo.server import redirect, send
from siteaudit.reports.render import print_pdf
from siteaudit.reports.uptime_form import ROW_LINES, month_form, plain_reason
from siteaudit.reports.uptime_log import parse_month, render_csv, render_html
from siteaudit.schedules.uptime import probe_once, run_uptime
from tlsutil import make_cert, server_context

AGENCY = "第一區管理處"
URL = "https://www.example.gov.tw/"


def probe(**kw):
    return probe_once(requests.Session(), URL, AGENCY, 5, 30, measure=False, **kw)


@responses.activate
def test_a_timeout_is_abnormal():
    responses.get(URL, body=requests.exceptions.ConnectTimeout("timed out"))
    r = probe()
    assert not r.ok and "timeout" in r.reason


@responses.activate
def test_a_dns_failure_is_abnormal():
    responses.get(URL, body=requests.exceptions.ConnectionError("Failed to resolve 'www.example.gov.tw'"))
    r = probe()
    assert not r.ok and "DNS" in r.reason


@responses.activate
def test_a_500_is_abnormal():
    responses.get(URL, status=500, body="oops")
    r = probe()
    assert not r.ok and r.status == 500 and r.reason == "HTTP 500"


@responses.activate
def test_a_200_without_the_keyword_is_abnormal():
    responses.get(URL, status=200, body="<html>Service Unavailable</html>")
    r = probe()
    assert not r.ok and r.status == 200 and AGENCY in r.reason


@responses.activate
def test_a_redirect_to_an_error_page_is_abnormal():
    responses.get(URL, status=302, headers={"Location": URL + "error.html"})
    responses.get(URL + "error.html", status=404, body="not found")
    r = probe()
    assert not r.ok and r.status == 404 and r.detail["final_url"] == URL + "error.html"


@responses.activate
def test_a_normal_page_is_normal_with_its_timings():
    responses.get(URL, status=200, body=f"<html>{AGENCY}</html>")
    r = probe()
    assert r.ok and r.status == 200 and r.detail["bytes"] > 0 and r.detail["keyword_found"]


def test_a_failed_probe_is_retried_and_every_try_kept(tmp_path):
    cfg = from_dict({"site": {"name": "t", "agency": AGENCY, "start_urls": [URL]},
                     "uptime": {"tries": 3, "retry_wait": 40}, "store": {"path": str(tmp_path / "s.sqlite3")}})
    store = Store(cfg.store_path())
    waits = []
    with responses.RequestsMock() as mock:
        mock.get(URL, status=503, body="busy")
        mock.get(URL, status=200, body=f"<html>{AGENCY}</html>")
        run = run_uptime(cfg, store, sleep=waits.append, measure=False)
    assert run.normal and waits == [40]
    rows = store.db.execute("SELECT attempt, ok, status FROM uptime_probes ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [(1, 0, 503), (2, 1, 200)]


@pytest.fixture
def sites(serve, tmp_path):
    (tmp_path / "index.html").write_text(f"<html><body>{AGENCY} 首頁</body></html>", encoding="utf-8")
    plain = serve(tmp_path, {"/down": lambda h: send(h, 500, b"down"), "/moved": redirect("/gone", 302)})
    cert, key = make_cert(tmp_path, "soon", hostname="localhost", days_left=10)
    secure = serve(tmp_path, ssl_context=server_context(cert, key), host="localhost")
    return plain, secure, cert


def test_probe_end_to_end_over_http_and_https_with_a_certificate_expiring_soon(sites, tmp_path):
    plain, secure, cert = sites
    cfg = write_config(tmp_path / "c.toml", plain.base, tmp_path / "s.sqlite3",
                       site={"agency": AGENCY},
                       extra=f'[uptime]\nurls = ["{plain.base}/", "{secure.base}/"]\nca_file = "{cert}"\n'
                             "tries = 1\n")
    result = run_cli("uptime", "--config", str(cfg))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "結果: 正常" in result.stdout
    db = sqlite3.connect(tmp_path / "s.sqlite3")
    details = [r[0] for r in db.execute("SELECT detail FROM uptime_probes ORDER BY id")]
    import json

    secure_detail = json.loads(details[1])
    assert secure_detail["cert_days_left"] in (9, 10) and "憑證剩" in secure_detail["cert_warning"]
    assert {"dns_ms", "connect_ms", "tls_ms", "total_ms"} <= set(secure_detail)


def test_an_abnormal_site_exits_1_and_runs_the_alert_command(sites, tmp_path):
    plain, _, _ = sites
    flag = tmp_path / "alerted.txt"
    cfg = write_config(tmp_path / "c.toml", plain.base, tmp_path / "s.sqlite3", site={"agency": AGENCY},
                       extra=f'[uptime]\nurls = ["{plain.base}/down", "{plain.base}/moved"]\ntries = 2\n'
                             f'retry_wait = 0\non_failure_command = ["sh", "-c", "cat > {flag}"]\n')
    result = run_cli("uptime", "--config", str(cfg))
    assert result.returncode == 1 and "結果: 異常" in result.stdout
    assert "HTTP 500" in flag.read_text(encoding="utf-8")
    count = sqlite3.connect(tmp_path / "s.sqlite3").execute("SELECT COUNT(*) FROM uptime_probes").fetchone()[0]
    assert count == 4  # two URLs, two tries each, all kept


def test_a_bad_uptime_config_exits_2(tmp_path):
    cfg = write_config(tmp_path / "c.toml", "http://127.0.0.1:9", tmp_path / "s.sqlite3",
                       extra='[uptime]\nurls = ["gopher://x"]\n')
    result = run_cli("uptime", "--config", str(cfg))
    assert result.returncode == 2 and "uptime.urls[0]" in result.stderr and "Traceback" not in result.stderr


def test_two_concurrent_runs_lose_no_row(sites, tmp_path):
    plain, _, _ = sites
    cfg = write_config(tmp_path / "c.toml", plain.base, tmp_path / "s.sqlite3", site={"agency": AGENCY},
                       extra=f'[uptime]\nurls = ["{plain.base}/", "{plain.base}/down"]\ntries = 3\nretry_wait = 0\n')
    procs = [subprocess.Popen([sys.executable, "-m", "siteaudit", "uptime", "--config", str(cfg)], cwd=tmp_path,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
    for p in procs:
        assert p.wait(timeout=120) == 1, p.stderr.read().decode()
    db = sqlite3.connect(tmp_path / "s.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT COUNT(*) FROM uptime_probes").fetchone()[0] == 2 * (1 + 3)
    assert db.execute("SELECT COUNT(DISTINCT batch) FROM uptime_probes").fetchone()[0] == 2


def fixture_month(store: Store) -> None:
    def at(day: int, hour: int = 20) -> float:
        return dt.datetime(2026, 11, day, hour, 0, tzinfo=TAIPEI).timestamp()

    rows = []
    for day in range(1, 21):  # 21-30: no probe
        ok = day != 7
        rows.append({"site": "s", "batch": f"b{day}", "started": at(day), "url": URL, "attempt": 1, "ok": ok,
                     "status": 200 if ok else 503, "reason": "" if ok else "HTTP 503",
                     "detail": {"total_ms": 100 + day * 10, "cert_days_left": 200 - day}})
    store.add_probes(rows)
    store.add_note("s", "2026-11-07", "王小明", "機房電源異常，21:10 恢復")


AFTER_NOVEMBER = dt.datetime(2026, 12, 1, 9, 0, tzinfo=TAIPEI)


def test_the_month_counts_unchecked_days_and_availability_is_normal_over_checked_days(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    fixture_month(store)
    form = month_form(store, "s", AGENCY, 2026, 11, AFTER_NOVEMBER)
    rows, figures = form.rows, form.figures
    assert len(rows) == 30 and [form.result(r) for r in rows[20:]] == ["未檢測"] * 10
    day7 = rows[6]
    assert form.result(day7) == "異常" and day7.handling == ["機房電源異常，21:10 恢復"] and day7.checked_by == "王小明"
    assert day7.roc == "115/11/07" and day7.time == "20:00" and day7.problems == ["伺服器錯誤 (HTTP 503)"]
    assert (figures.days, figures.due, figures.checked, figures.normal, figures.abnormal, figures.not_checked) == \
        (30, 30, 20, 19, 1, 10)
    assert figures.availability == 95.0 and form.slowest == (300, dt.date(2026, 11, 20))
    assert "可用率 = 正常日數 ÷ 已檢測日數 = 19 ÷ 20 = 95.00%" in form.formula and "未檢測 10 日" in form.formula
    page = render_html(store, "s", AGENCY, 2026, 11, AFTER_NOVEMBER)
    assert form.formula in page and "<th>未檢測日數</th><td>10</td>" in page
    csv_text = render_csv(store, "s", 2026, 11, AFTER_NOVEMBER)
    assert csv_text.startswith("\ufeff日期（民國）") and "未檢測" in csv_text and "主管核章" in csv_text


def test_the_month_prints_to_pdf_in_headless_chromium(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    fixture_month(store)
    html = tmp_path / "uptime.html"
    html.write_text(render_html(store, "s", "第一區管理處", 2026, 11, AFTER_NOVEMBER), encoding="utf-8")
    paths = find_browser()
    assert not paths.missing, "chromium and chromedriver must be installed"
    pdf = tmp_path / "uptime.pdf"
    print_pdf(html, pdf, paths, landscape=True)
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 1000


def month_of_probes(store: Store, year: int, month: int) -> None:
    """A probe at 20:00 every day of the month; day 3's scheduled probe failed and a later manual one passed,
    day 5's ran late, day 9's certificate has 12 days left; day 2 has a failed morning probe."""
    def at(day: int, hour: int, minute: int = 0) -> float:
        return dt.datetime(year, month, day, hour, minute, tzinfo=TAIPEI).timestamp()

    rows = []
    for day in range(1, calendar.monthrange(year, month)[1] + 1):
        ok = day != 3
        rows.append({"site": "s", "batch": f"b{day}", "started": at(day, 20, 50 if day == 5 else 0), "url": URL,
                     "attempt": 1, "ok": ok, "status": 200 if ok else 503, "reason": "" if ok else "HTTP 503",
                     "detail": {"total_ms": 120, "cert_days_left": 12 if day == 9 else 200}})
    rows.append({"site": "s", "batch": "manual3", "started": at(3, 21, 30), "url": URL, "attempt": 1, "ok": True,
                 "status": 200, "reason": "", "detail": {"total_ms": 90}})
    rows.append({"site": "s", "batch": "morning2", "started": at(2, 9), "url": URL, "attempt": 1, "ok": False,
                 "status": None, "reason": "逾時 timeout after 20 s", "detail": {}})
    store.add_probes(sorted(rows, key=lambda r: r["started"]))


AFTER_DECEMBER = dt.datetime(2027, 1, 1, 9, 0, tzinfo=TAIPEI)


def test_each_day_shows_its_2000_probe_and_other_failures_and_flags(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    month_of_probes(store, 2026, 12)
    store.add_note("s", "2026-12-03", "王小明", "21:30 人工確認恢復")
    form = month_form(store, "s", AGENCY, 2026, 12, AFTER_DECEMBER)
    rows = form.rows
    assert form.result(rows[2]) == "異常" and rows[2].time == "20:00" and rows[2].checked_by == "王小明"
    assert rows[0].checked_by == "系統自動" and rows[0].problems == []
    assert form.result(rows[1]) == "正常" and rows[1].problems == ["另次檢測 09:00 異常：逾時"]
    assert rows[4].off_schedule and rows[4].problems == ["檢測時間 20:50 不在排定的 19:55–20:30"]
    assert rows[8].cert_warning and not rows[0].cert_warning
    assert form.urls == [("", URL)]


def pdf_text(path) -> str:
    reader = PdfReader(path)
    assert len(reader.pages) == 1, f"{len(reader.pages)} pages"
    return unicodedata.normalize("NFKC", reader.pages[0].extract_text())


def print_form(tmp_path, month: str, *extra: str) -> str:
    """`uptime-log --format pdf` of the store in tmp_path: the text of its one page."""
    cfg = write_config(tmp_path / "c.toml", URL, tmp_path / "s.sqlite3", site={"name": "s", "agency": AGENCY})
    out = tmp_path / "form.pdf"
    result = run_cli("uptime-log", "--config", str(cfg), "--month", month, "--format", "pdf", "--out", str(out),
                     *extra)
    assert result.returncode == 0, result.stderr
    return pdf_text(out)


def test_a_31_day_month_prints_on_one_a4_page_with_urls_once_and_a_sign_off(tmp_path):
    with Store(tmp_path / "s.sqlite3") as store:
        month_of_probes(store, 2026, 12)
    text = print_form(tmp_path, "民國115年12月", "--as-of", "2027-01-01 09:00")
    assert text.count("檢查網址") == 1 and f"檢查網址:{URL}" in text  # once, in the header, not per row
    assert text.count(URL) == 1
    assert "115/12/31" in text and "承辦人" in text and "單位主管" in text
    assert "系統自動" in text and "將到期" in text and "第 1 頁" in text and "共 1 頁" in text


FIVE_URLS = [URL, URL + "news/", URL + "cp.aspx?n=ABCDEF0123456789&s=0123456789ABCDEF"]
PLAIN = ["連線失敗 connection failed: [Errno 111] Connection refused", "逾時 timeout after 20 s", "HTTP 503"]


def incident(store: Store, day: dt.date, urls: list[str], tries: int) -> None:
    """Every URL failed every try of the day's 20:00 probe, each URL for its own reason."""
    start = dt.datetime.combine(day, dt.time(20, 0, 4), TAIPEI).timestamp()
    store.add_probes([{"site": "s", "batch": f"b{day}", "started": start + 10 * i + a, "url": url, "attempt": a,
                       "ok": False, "status": 503 if "HTTP" in PLAIN[i % 3] else None, "reason": PLAIN[i % 3],
                       "detail": {}} for i, url in enumerate(urls) for a in range(1, tries + 1)])


def normal_day(store: Store, day: dt.date, urls: list[str]) -> None:
    start = dt.datetime.combine(day, dt.time(20, 0, 4), TAIPEI).timestamp()
    store.add_probes([{"site": "s", "batch": f"b{day}", "started": start + i, "url": url, "attempt": 1, "ok": True,
                       "status": 200, "reason": "", "detail": {"total_ms": 180 + day.day, "cert_days_left": 90}}
                      for i, url in enumerate(urls)])


def test_the_worst_month_every_day_an_incident_on_3_urls_with_3_tries_and_notes_is_still_one_page(tmp_path):
    with Store(tmp_path / "s.sqlite3") as store:
        for d in range(1, 32):
            day = dt.date(2026, 10, d)
            incident(store, day, FIVE_URLS, tries=3)
            store.add_note("s", day.isoformat(), "王小明", "機房電源異常，已通報資訊室並於 21:10 恢復服務，另請廠商檢查"
                           "不斷電系統與網路設備，預計下週完成更換並回報處理結果")
    text = print_form(tmp_path, "2026-10", "--as-of", "2026-11-01 09:00")
    assert "115/10/31" in text and "承辦人" in text and "單位主管" in text and "共 1 頁" in text
    assert "3 次皆失敗:連線遭拒" in text and "Errno" not in text and "其餘見 CSV" in text
    assert "可用率 = 正常日數 ÷ 已檢測日數 = 0 ÷ 31 = 0.00%" in text


@pytest.mark.parametrize("incidents", [(), (7, 19)])
def test_a_normal_month_and_a_month_with_two_incident_days_are_one_page_with_their_sign_off(tmp_path, incidents):
    with Store(tmp_path / "s.sqlite3") as store:
        for d in range(1, 32):
            day = dt.date(2026, 12, d)
            if d in incidents:
                incident(store, day, FIVE_URLS[:2], tries=3)
                store.add_note("s", day.isoformat(), "王小明", "機房電源異常，21:10 恢復")
            else:
                normal_day(store, day, FIVE_URLS[:2])
    text = print_form(tmp_path, "2026-12", "--as-of", "2027-01-01 09:00")
    assert "承辦人" in text and "單位主管" in text and "共 1 頁" in text
    normal = 31 - len(incidents)
    assert f"= {normal} ÷ 31 = {100 * normal / 31:.2f}%" in text
    if incidents:
        assert text.count("3 次皆失敗:連線遭拒") == 2 and text.count("3 次皆失敗:逾時") == 2
        assert "Errno" not in text and "其餘見 CSV" not in text  # two incidents are printed whole


def test_a_form_printed_on_the_6th_leaves_days_7_to_31_blank(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    for d in range(1, 7):
        normal_day(store, dt.date(2026, 12, d), [URL])
    form = month_form(store, "s", AGENCY, 2026, 12, dt.datetime(2026, 12, 6, 21, 0, tzinfo=TAIPEI))
    assert [form.result(r) for r in form.rows[:6]] == ["正常"] * 6
    assert all(form.result(r) == "" and r.time == "" and r.checked_by == "" for r in form.rows[6:])
    f = form.figures
    assert (f.days, f.due, f.checked, f.not_checked, f.ahead) == (31, 6, 6, 0, 25)
    # Before the 6th's check is due, the 6th is blank too, not 未檢測.
    noon = month_form(Store(tmp_path / "empty.sqlite3"), "s", AGENCY, 2026, 12,
                      dt.datetime(2026, 12, 6, 12, 0, tzinfo=TAIPEI))
    assert [noon.result(r) for r in noon.rows[4:7]] == ["未檢測", "", ""]  # the 5th, the 6th, the 7th
    assert (noon.figures.due, noon.figures.not_checked) == (5, 5)


@pytest.mark.parametrize(("reason", "status", "zh", "en"), [
    ("連線失敗 connection failed: [Errno 111] Connection refused", None, "連線遭拒", "connection refused"),
    ("DNS: www.example.gov.tw: Name or service not known", None, "找不到主機", "host not found"),
    ("DNS 查詢失敗 name resolution failed", None, "找不到主機", "host not found"),
    ("逾時 timeout after 20 s", None, "逾時", "timed out"),
    ("TLS 憑證錯誤: certificate has expired", None, "憑證錯誤", "certificate error"),
    ("HTTP 503", 503, "伺服器錯誤 (HTTP 503)", "server error (HTTP 503)"),
    ("HTTP 404", 404, "找不到網頁 (HTTP 404)", "page not found (HTTP 404)"),
    ("頁面缺少關鍵字「第一區管理處」(錯誤頁或遭竄改) keyword missing；頁面過小：12 位元組", 200, "缺少關鍵字、頁面過小",
     "keyword missing, page too small"),
])
def test_stored_errors_read_in_plain_words(reason, status, zh, en):
    assert plain_reason(reason, status, "zh") == zh and plain_reason(reason, status, "en") == en


def test_three_tries_of_a_url_are_one_line_in_plain_words_and_the_csv_keeps_every_try(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    day = dt.date(2026, 11, 5)
    incident(store, day, [URL], tries=3)
    form = month_form(store, "s", AGENCY, 2026, 11, AFTER_NOVEMBER, lang="en")
    assert form.rows[4].problems == ["all 3 tries failed: connection refused"]
    zh = month_form(store, "s", AGENCY, 2026, 11, AFTER_NOVEMBER)
    assert zh.rows[4].problems == ["3 次皆失敗：連線遭拒"]
    rows = list(csv.reader(io.StringIO(render_csv(store, "s", 2026, 11, AFTER_NOVEMBER).lstrip("\ufeff"))))
    raw = rows[5][rows[0].index("原始紀錄")]
    assert raw.count("[Errno 111] Connection refused") == 3 and "20:00:07" in raw


def test_long_text_is_cut_on_the_form_saying_the_rest_is_in_the_csv(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    long_note = "處理經過：" + "聯絡廠商檢查主機與網路設備並重新啟動服務，" * 12
    for d in range(1, 31):
        store.add_note("s", f"2026-11-{d:02d}", "王小明", long_note)
    form = month_form(store, "s", AGENCY, 2026, 11, AFTER_NOVEMBER)
    assert all(r.handling_text.endswith("…其餘見 CSV") and len(r.handling_text) < len(long_note) for r in form.rows)
    assert sum(r.lines for r in form.rows) <= ROW_LINES
    assert long_note in render_csv(store, "s", 2026, 11, AFTER_NOVEMBER)


def record(cfg, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("uptime", "record", "--config", str(cfg), *args)


def test_a_manual_check_is_the_days_record_shown_as_manual_with_its_checker(tmp_path):
    cfg = write_config(tmp_path / "c.toml", URL, tmp_path / "s.sqlite3", site={"name": "s", "agency": AGENCY})
    with Store(tmp_path / "s.sqlite3") as store:
        normal_day(store, dt.date(2026, 11, 4), [URL])
    done = record(cfg, "--date", "2026-11-05", "--time", "20:00", "--result", "正常", "--by", "陳大文",
                  "--text", "排程未執行，人工開啟首頁正常")
    assert done.returncode == 0 and "2026-11-05 20:00" in done.stdout, done.stderr
    assert record(cfg, "--date", "2026-11-06", "--time", "20:05", "--result", "Abnormal", "--by", "陳大文"
                  ).returncode == 0
    with Store(tmp_path / "s.sqlite3") as store:
        form = month_form(store, "s", AGENCY, 2026, 11, AFTER_NOVEMBER)
        english = month_form(store, "s", AGENCY, 2026, 11, AFTER_NOVEMBER, lang="en")
    day5, day6 = form.rows[4], form.rows[5]
    assert (form.result(day5), day5.time, day5.checked_by) == ("正常（人工）", "20:00", "陳大文")
    assert day5.problems == ["人工檢測：排程未執行，人工開啟首頁正常"]
    assert form.result(day6) == "異常（人工）" and english.result(day6) == "Abnormal (manual)"
    f = form.figures
    assert (f.checked, f.normal, f.abnormal, f.not_checked) == (3, 2, 1, 27)
    out = tmp_path / "form.html"
    assert run_cli("uptime-log", "--config", str(cfg), "--month", "2026-11", "--out", str(out)).returncode == 0
    page = out.read_text(encoding="utf-8")
    assert "正常（人工）" in page and "陳大文" in page


def test_the_check_nearest_2000_decides_a_day_with_both_a_probe_and_a_manual_check(tmp_path):
    store = Store(tmp_path / "s.sqlite3")
    incident(store, dt.date(2026, 11, 5), [URL], tries=1)               # 20:00:05, 異常
    store.add_manual_check("s", "2026-11-05", "20:30", True, "陳大文", "")  # later: the probe decides
    store.add_manual_check("s", "2026-11-06", "20:00", False, "陳大文", "")  # the only check of the 6th
    store.add_manual_check("s", "2026-11-06", "20:00", True, "陳大文", "更正")  # a later entry corrects it
    form = month_form(store, "s", AGENCY, 2026, 11, AFTER_NOVEMBER)
    assert form.result(form.rows[4]) == "異常" and form.rows[4].checked_by == "系統自動"
    assert form.result(form.rows[5]) == "正常（人工）" and form.rows[5].problems == ["人工檢測：更正"]


@pytest.mark.parametrize(("args", "wanted"), [
    (["--date", "2026-11-31", "--time", "20:00", "--result", "正常", "--by", "甲"], "--date"),
    (["--date", "2026/11/05", "--time", "20:00", "--result", "正常", "--by", "甲"], "--date"),
    (["--date", "2026-11-05", "--time", "8pm", "--result", "正常", "--by", "甲"], "--time"),
    (["--date", "2026-11-05", "--time", "24:00", "--result", "正常", "--by", "甲"], "--time"),
    (["--date", "2026-11-05", "--time", "20:00", "--result", "ok", "--by", "甲"], "--result"),
    (["--date", "2026-11-05", "--time", "20:00", "--result", "正常"], "--by"),
    (["--date", "9999-12-31", "--time", "20:00", "--result", "正常", "--by", "甲"], "in the future"),
])
def test_a_manual_check_with_a_bad_date_time_or_result_is_refused_in_one_line(tmp_path, args, wanted):
    cfg = write_config(tmp_path / "c.toml", URL, tmp_path / "s.sqlite3", site={"name": "s"})
    result = record(cfg, *args)
    assert result.returncode == 2 and wanted in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "s.sqlite3").exists()  # refused before the store is opened


def test_record_options_without_record_and_a_bad_as_of_are_refused_in_one_line(tmp_path):
    cfg = write_config(tmp_path / "c.toml", URL, tmp_path / "s.sqlite3", site={"name": "s"})
    stray = run_cli("uptime", "--config", str(cfg), "--result", "正常")
    assert stray.returncode == 2 and "--result: only with 'uptime record'" in stray.stderr
    Store(tmp_path / "s.sqlite3").close()
    bad = run_cli("uptime-log", "--config", str(cfg), "--month", "2026-11", "--as-of", "yesterday")
    assert bad.returncode == 2 and "--as-of" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_the_form_of_a_store_that_does_not_exist_is_an_error_not_an_empty_month(tmp_path):
    cfg = write_config(tmp_path / "c.toml", "http://127.0.0.1:9", tmp_path / "missing.sqlite3")
    result = run_cli("uptime-log", "--config", str(cfg), "--month", "2026-11", "--out", str(tmp_path / "f.html"))
    assert result.returncode == 2 and "no store at" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "missing.sqlite3").exists() and not (tmp_path / "f.html").exists()


@pytest.mark.parametrize("given", ["115-11", "115/11", "民國115年11月", "2026-11", " 2026/11 "])
def test_month_accepts_roc_and_ad_forms(given):
    assert parse_month(given) == (2026, 11)


@pytest.mark.parametrize("given", ["2026-13", "11-2026", "November", "115", "0-11"])
def test_any_other_month_is_refused_listing_the_forms(given):
    with pytest.raises(ValueError, match="115-11, 115/11, 民國115年11月, 2026-11"):
        parse_month(given)


def test_uptime_log_and_note_commands(tmp_path, sites):
    plain, _, _ = sites
    cfg = write_config(tmp_path / "c.toml", plain.base, tmp_path / "s.sqlite3", site={"agency": AGENCY})
    assert run_cli("uptime", "--config", str(cfg)).returncode == 0
    # The probe ran at the real time: the form is printed for the month it was recorded in.
    started, detail = sqlite3.connect(tmp_path / "s.sqlite3").execute(
        "SELECT started, detail FROM uptime_probes").fetchone()
    probed = dt.datetime.fromtimestamp(started, TAIPEI)
    assert json.loads(detail)["taipei_time"] == probed.strftime("%Y-%m-%d %H:%M:%S")  # whatever the server's zone
    note = run_cli("uptime", "note", "--config", str(cfg), "--date", probed.date().isoformat(), "--by", "值班員",
                   "--text", "人工確認正常")
    assert note.returncode == 0
    out = tmp_path / "log.html"
    result = run_cli("uptime-log", "--config", str(cfg), "--month", probed.strftime("%Y-%m"), "--out", str(out))
    form = out.read_text(encoding="utf-8")
    assert result.returncode == 0 and "全球資訊網運轉情形紀錄表" in form
    assert "人工確認正常" in form and "值班員" in form
    bad = run_cli("uptime-log", "--config", str(cfg), "--month", "2026-13")
    assert bad.returncode == 2 and "--month" in bad.stderr


def test_cron_runs_at_2000_taipei_in_the_servers_zone_and_warns_of_daylight_saving(tmp_path):
    cfg = write_config(tmp_path / "c.toml", "http://127.0.0.1:9", tmp_path / "s.sqlite3")
    utc = run_cli("schedule", "print", "--config", str(cfg), "--kind", "cron", env={"TZ": "UTC"})
    assert utc.returncode == 0 and "\n0 12 * * * root " in utc.stdout
    # 02:30 in Taipei is 18:30 UTC the day before: Sunday's full audit runs on Saturday evening, UTC
    assert "\n30 18 * * 0,1,2,3,4,5 root " in utc.stdout and "\n30 18 * * 6 root " in utc.stdout
    assert "audit --full --config" in utc.stdout.split("\n30 18 * * 6 root ")[1].splitlines()[0]
    assert "daylight saving" not in utc.stderr
    berlin = run_cli("schedule", "print", "--config", str(cfg), "--kind", "cron", env={"TZ": "Europe/Berlin"})
    assert berlin.returncode == 0 and "daylight saving" in berlin.stderr and "--kind systemd" in berlin.stderr


def test_schedule_files_use_taipei_time_and_real_paths(tmp_path):
    cfg = write_config(tmp_path / "c.toml", "http://127.0.0.1:9", tmp_path / "s.sqlite3")
    result = run_cli("schedule", "print", "--config", str(cfg), "--kind", "cron", env={"TZ": "Asia/Taipei"})
    assert result.returncode == 0
    assert "\n0 20 * * * root " in result.stdout and "\n30 2 * * 1,2,3,4,5,6 root " in result.stdout
    assert "\n30 2 * * 0 root " in result.stdout
    assert str(cfg) in result.stdout and "siteaudit" in result.stdout and "CRON_TZ=" not in result.stdout
    assert "daylight saving" not in result.stderr
    dest = tmp_path / "units"
    result = run_cli("schedule", "install", "--config", str(cfg), "--kind", "systemd", "--dest", str(dest),
                     "--outdir", str(tmp_path / "r"), "--logdir", str(tmp_path / "l"))
    assert result.returncode == 0
    timer = (dest / "siteaudit-uptime.timer").read_text(encoding="utf-8")
    assert "OnCalendar=*-*-* 20:00:00 Asia/Taipei" in timer and "Persistent=true" in timer
    assert f"--config {cfg}" in (dest / "siteaudit-uptime.service").read_text(encoding="utf-8")
    assert "OnCalendar=Mon..Sat *-*-* 02:30:00 Asia/Taipei" in (dest / "siteaudit-audit.timer").read_text(encoding="utf-8")
    assert "OnCalendar=Sun *-*-* 02:30:00 Asia/Taipei" in (dest / "siteaudit-audit-full.timer").read_text(encoding="utf-8")
    assert " audit --full --config " in (dest / "siteaudit-audit-full.service").read_text(encoding="utf-8")
    assert " --full " not in (dest / "siteaudit-audit.service").read_text(encoding="utf-8")
    worker = (dest / "siteaudit-worker@.service").read_text(encoding="utf-8")
    assert "worker --broker redis://127.0.0.1:6379/0 --name worker%i" in worker and "Restart=always" in worker


class SmtpSink:
    """Just enough SMTP on 127.0.0.1 to receive one message."""

    def __init__(self) -> None:
        import socket
        import threading

        self.messages: list[str] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        conn, _ = self.sock.accept()
        with conn, conn.makefile("rb") as reader:
            conn.sendall(b"220 sink ESMTP\r\n")
            while line := reader.readline():
                command = line.strip().upper()
                if command.startswith((b"EHLO", b"HELO")):
                    conn.sendall(b"250 sink\r\n")
                elif command == b"DATA":
                    conn.sendall(b"354 go on\r\n")
                    data = []
                    while (chunk := reader.readline()) not in (b".\r\n", b""):
                        data.append(chunk)
                    self.messages.append(b"".join(data).decode("utf-8", "replace"))
                    conn.sendall(b"250 queued\r\n")
                elif command == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:
                    conn.sendall(b"250 ok\r\n")


def test_an_abnormal_site_sends_mail_to_the_person_on_duty(sites, tmp_path):
    plain, _, _ = sites
    sink = SmtpSink()
    cfg = write_config(tmp_path / "c.toml", plain.base, tmp_path / "s.sqlite3", site={"agency": AGENCY},
                       extra=f'[uptime]\nurls = ["{plain.base}/down"]\ntries = 1\nsmtp_host = "127.0.0.1"\n'
                             f'smtp_port = {sink.port}\nmail_from = "siteaudit@example.gov.tw"\n'
                             'mail_to = ["duty@example.gov.tw"]\n')
    result = run_cli("uptime", "--config", str(cfg))
    assert result.returncode == 1
    sink.thread.join(timeout=10)
    assert len(sink.messages) == 1
    message = sink.messages[0]
    assert "duty@example.gov.tw" in message and "Subject:" in message


def test_pages_are_decoded_as_a_browser_does_utf8_by_meta_and_big5(serve, tmp_path):
    page = f"<html><head><meta charset='{{}}'><title>首頁</title></head><body>{AGENCY}</body></html>"
    (tmp_path / "meta.html").write_bytes(page.format("utf-8").encode("utf-8"))
    (tmp_path / "big5.html").write_bytes(page.format("big5").encode("big5"))
    (tmp_path / "bom.html").write_bytes(b"\xef\xbb\xbf" + f"<html><body>{AGENCY}</body></html>".encode())
    (tmp_path / "header.html").write_bytes(f"<html><body>{AGENCY}</body></html>".encode("big5"))
    server = serve(tmp_path, content_types={"/meta.html": "text/html", "/big5.html": "text/html",
                                            "/bom.html": "text/html", "/header.html": "text/html; charset=big5"})
    session = requests.Session()
    for name in ("meta", "big5", "bom", "header"):
        r = probe_once(session, f"{server.base}/{name}.html", AGENCY, 5, 30, measure=False)
        assert r.ok and r.detail["keyword_found"], (name, r.reason)  # 正常

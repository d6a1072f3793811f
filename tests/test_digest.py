"""The nightly digest: mailed to a real SMTP server on loopback when the night brought something new, never when
it did not; a send that fails is one warning line stored with the run."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from conftest import run_cli, write_config
from siteaudit.core.store import Store
from smtpserver import SmtpServer
from tlsutil import make_cert, server_context

PAGE = ('<!DOCTYPE html><html lang="zh-Hant-TW"><head><meta charset="utf-8"><title>{title}</title></head>'
        '<body><h1>{title}</h1>{body}</body></html>')


@pytest.fixture
def site(tmp_path: Path, serve: Any) -> dict[str, Any]:
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text(PAGE.format(title="首頁", body='<a href="/news.html">最新消息</a>'),
                                     encoding="utf-8")
    (root / "news.html").write_text(PAGE.format(title="最新消息", body="<p>本處消息</p>"), encoding="utf-8")
    return {"root": root, "server": serve(root)}


def config(tmp_path: Path, base: str, port: int, ca: Path | None = None, extra: str = "") -> Path:
    tls = f'smtp_starttls = true\nca_file = "{ca}"\n' if ca else ""
    return write_config(tmp_path / "c.toml", base, tmp_path / "s.sqlite3", crawl={"sitemaps": False},
                        extra=f'[uptime]\nsmtp_host = "127.0.0.1"\nsmtp_port = {port}\n'
                              f'mail_from = "siteaudit@example.gov.tw"\n{tls}'
                              f'[digest]\nmail_to = ["it@example.gov.tw"]\n{extra}')


def audit(cfg: Path, out: Path) -> Any:
    return run_cli("audit", "--config", str(cfg), "--checks", "links", "--out", str(out))


def test_a_night_that_broke_a_link_is_mailed_over_starttls_and_a_night_without_change_is_not(site, tmp_path):
    cert, key = make_cert(tmp_path, "smtp")
    with SmtpServer(tls=server_context(cert, key)) as smtp:
        cfg = config(tmp_path, site["server"].base, smtp.port, ca=cert)
        first = audit(cfg, tmp_path / "out")
        assert first.returncode == 1 and "digest" not in first.stderr, first.stderr
        assert smtp.messages == []   # the first run of a clean site: nothing new to tell
        (site["root"] / "news.html").unlink()
        broken = audit(cfg, tmp_path / "out")
        assert broken.returncode == 1 and "not sent" not in broken.stderr, broken.stderr
        assert len(smtp.messages) == 1 and smtp.over_tls == [True]
        mail = smtp.messages[0]
        assert mail["To"] == "it@example.gov.tw" and "新發現 1 項" in mail["Subject"]
        text = mail.get_body(("plain",)).get_content()
        assert "連結有效性" in text and f"{site['server'].base}/news.html" in text, text
        assert "連結有效性：通過 → 未通過" in text
        attached = [part.get_filename() for part in mail.iter_attachments()]
        assert attached == ["report.html"]
        same = audit(cfg, tmp_path / "out")
        assert same.returncode == 1, same.stderr
        assert len(smtp.messages) == 1   # nothing changed overnight: no mail
    with Store(tmp_path / "s.sqlite3") as store:
        runs = [r["id"] for r in reversed(store.runs())]
        assert [len(store.run_messages("fixture", r)) for r in runs] == [0, 1, 0]
        assert store.run_messages("fixture", runs[1])[0]["ok"] is True


def test_with_the_mail_server_down_the_digest_is_one_warning_line_stored_with_the_run(site, tmp_path):
    with socket.socket() as s:   # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (site["root"] / "news.html").unlink()
    cfg = config(tmp_path, site["server"].base, port)
    result = audit(cfg, tmp_path / "out")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if "digest" in line]
    assert len(warnings) == 1 and "was not sent" in warnings[0] and f"127.0.0.1:{port}" in warnings[0], warnings
    with Store(tmp_path / "s.sqlite3") as store:
        run = store.latest_run("fixture")
        stored = store.run_messages("fixture", run["id"])
        assert [(m["channel"], m["ok"]) for m in stored] == [("digest", False)]
        assert f"127.0.0.1:{port}" in stored[0]["detail"]


def test_the_digest_command_prints_the_mail_in_english_and_sends_nothing(site, tmp_path):
    with SmtpServer() as smtp:
        cfg = config(tmp_path, site["server"].base, smtp.port, extra="attach_report = false\n"
                     'report_url = "https://www.example.gov.tw/audit/report.html"\n')
        (site["root"] / "news.html").unlink()
        assert audit(cfg, tmp_path / "out").returncode == 1
        assert len(smtp.messages) == 1   # the first run found a broken link: new
        shown = run_cli("digest", "latest", "--config", str(cfg), "--lang", "en")
        assert shown.returncode == 0, shown.stderr
        assert len(smtp.messages) == 1
    assert shown.stdout.startswith("# sent to it@example.gov.tw through 127.0.0.1:")
    assert "New findings (1):" in shown.stdout and f"{site['server'].base}/news.html" in shown.stdout
    assert "The full report: https://www.example.gov.tw/audit/report.html" in shown.stdout
    assert "# attached" not in shown.stdout
    assert not any("\u4e00" <= c <= "\u9fff" for c in shown.stdout), shown.stdout

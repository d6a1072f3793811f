"""The audit store: one database holding runs, pages, links, resources and findings.

SQLite (WAL mode, one file) is the default; a `postgresql://` location opens the same schema on PostgreSQL
(psycopg 3) for a fleet of workers. This module owns the schema and every query; crawler, checks and reports
go through it, and the PostgreSQL connection translates the few SQLite idioms the queries use.
Pages and resources are one row per fetched URL of a run; a redirect hop is its own row with
`redirect_to`, and `finalize_redirects` fills `final_url` and `redirect_chain` of the URLs that redirect once
the crawl ends (NULL for the others: such a URL is its own final URL, its chain the one hop).
"""

from __future__ import annotations

import contextlib
import errno
import json
import operator
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from siteaudit.core import lazy
from siteaudit.core.dates import now
from siteaudit.core.urlparts import redact
from siteaudit.core.urls import Trap, find_traps

SCHEMA_VERSION = 7

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    started REAL NOT NULL,
    finished REAL,
    status TEXT NOT NULL,              -- running | complete | failed
    error TEXT,
    config TEXT NOT NULL,              -- JSON snapshot
    config_hash TEXT NOT NULL,
    versions TEXT NOT NULL,            -- JSON: tool and library versions
    summary TEXT,                      -- JSON: per-check summaries
    verdict TEXT,                      -- JSON: the run's judged status and inspection items (siteaudit.verdict)
    plan TEXT                          -- JSON: full or incremental, against which run, and why (siteaudit.audit)
);
CREATE TABLE IF NOT EXISTS pages (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    url TEXT NOT NULL,
    final_url TEXT,
    redirect_to TEXT,
    redirect_chain TEXT,               -- JSON list of [url, status] hops ending at final_url (NULL: no redirect)
    status INTEGER,                    -- HTTP status, NULL when no response
    error TEXT,                        -- dns | refused | timeout | tls | robots | trap:* | ... when no usable response
    error_detail TEXT,
    verdict TEXT,                      -- ok | broken | blocked | redirect | error | skipped | unresolved
    content_type TEXT,
    is_html INTEGER NOT NULL DEFAULT 0,
    size INTEGER,
    truncated INTEGER NOT NULL DEFAULT 0,
    charset TEXT,
    title TEXT,
    h1 TEXT,
    anchors TEXT,                      -- JSON list of element ids/names (for fragment checks)
    meta TEXT,                         -- JSON {lower-case meta name: [contents]}
    lang TEXT,
    stamps TEXT,                       -- JSON list of texts around update-date labels (更新日期…)
    response_time REAL,
    depth INTEGER,
    last_modified TEXT,
    etag TEXT,
    headers TEXT,                      -- JSON of selected response headers
    found_on TEXT,
    fetched REAL,
    body_hash TEXT,                    -- SHA-256 of the HTML body as received
    revalidated TEXT,                  -- not-modified (304) | same-body: unchanged since the base run, carried over
    carried_from INTEGER,              -- the run whose parse of this unchanged page was carried over
    UNIQUE (run_id, url)
);
CREATE TABLE IF NOT EXISTS resources (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    url TEXT NOT NULL,
    kind TEXT NOT NULL,                -- external | document | asset
    method TEXT,
    final_url TEXT,
    redirect_to TEXT,
    redirect_chain TEXT,
    status INTEGER,
    error TEXT,
    error_detail TEXT,
    verdict TEXT,
    content_type TEXT,
    content_length INTEGER,
    size INTEGER,                      -- bytes received
    truncated INTEGER NOT NULL DEFAULT 0,
    head BLOB,                         -- first bytes of the body, for type sniffing
    response_time REAL,
    last_modified TEXT,
    etag TEXT,
    headers TEXT,
    found_on TEXT,
    fetched REAL,
    revalidated TEXT,                  -- not-modified: a document answered 304 and was carried over
    UNIQUE (run_id, url)
);
CREATE TABLE IF NOT EXISTS links (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    page_id INTEGER NOT NULL REFERENCES pages(id),
    element TEXT NOT NULL,
    attribute TEXT NOT NULL,
    text TEXT,
    raw TEXT,
    url TEXT,                          -- resolved, fragment removed; NULL when it cannot be resolved
    fragment TEXT,
    rel TEXT,
    target TEXT,
    title TEXT,
    scope TEXT NOT NULL,               -- page | document | asset | external | unchecked | invalid | form
    grp TEXT,                          -- documents, external links: XPath of the enclosing row (tr, li, dd, p) on the page
    row_text TEXT,                     -- documents, external links: text of the enclosing table row or list item (年度 cells)
    row_label TEXT,                    -- documents, external links: that table's caption or heading, the list's heading, the dt
    hreflang TEXT                      -- <a>, <link>: the language of the target (hreflang), e.g. en
);
CREATE TABLE IF NOT EXISTS findings (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    check_name TEXT NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    url TEXT NOT NULL,
    pages TEXT NOT NULL,
    message TEXT NOT NULL,
    evidence TEXT NOT NULL,
    message_en TEXT
);
CREATE TABLE IF NOT EXISTS uptime_probes (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    batch TEXT NOT NULL,
    started REAL NOT NULL,
    url TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    status INTEGER,
    reason TEXT,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS uptime_notes (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    day TEXT NOT NULL,                 -- YYYY-MM-DD (Asia/Taipei)
    checked_by TEXT NOT NULL,
    note TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS uptime_alerts (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    batch TEXT NOT NULL,               -- the probe batch that raised the alert
    created REAL NOT NULL,
    channel TEXT NOT NULL,             -- command | mail
    ok INTEGER NOT NULL,
    detail TEXT NOT NULL               -- what was done, or why it failed
);
CREATE TABLE IF NOT EXISTS uptime_manual (
    id INTEGER PRIMARY KEY,
    site TEXT NOT NULL,
    day TEXT NOT NULL,                 -- YYYY-MM-DD (Asia/Taipei)
    checked_at TEXT NOT NULL,          -- HH:MM (Asia/Taipei): when the person checked
    ok INTEGER NOT NULL,               -- 1 正常, 0 異常
    checked_by TEXT NOT NULL,
    note TEXT NOT NULL,
    created REAL NOT NULL              -- when it was entered
);
CREATE INDEX IF NOT EXISTS uptime_site_started ON uptime_probes(site, started);
-- A run's links are read by run (in rowid order) and by page, never looked up by URL: an index on (run_id, url)
-- cost the crawl more than all other link inserts together (each row a random insert into a tree of long URLs).
DROP INDEX IF EXISTS links_run_url;
CREATE INDEX IF NOT EXISTS links_run ON links(run_id);
CREATE INDEX IF NOT EXISTS links_page ON links(page_id);
CREATE TABLE IF NOT EXISTS a11y_tests (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    url TEXT NOT NULL,
    fingerprint TEXT NOT NULL,         -- hash of the page's HTML and the CSS/JS it loads, as tested
    tested_run INTEGER NOT NULL,       -- the run whose browser tested it (this run, or the one reused from)
    tested_at REAL NOT NULL,
    result TEXT,                       -- JSON of the browser's result; NULL when reused from tested_run
    UNIQUE (run_id, url)
);
CREATE TABLE IF NOT EXISTS a11y_batches (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    stage TEXT NOT NULL,               -- one accessibility stage of the run (a resumed stage starts a new one)
    n INTEGER NOT NULL,                -- the batch's number in its stage
    pages TEXT NOT NULL,               -- JSON {url: fingerprint}: the pages to test
    state TEXT NOT NULL DEFAULT 'open',  -- open | done | dropped (its stage was given up)
    owner TEXT,                        -- who holds the lease (worker name and process)
    expires REAL,                      -- the lease lapses then unless renewed
    claims INTEGER NOT NULL DEFAULT 0, -- how often it was taken (more than once: taken over from a lapsed lease)
    deliveries INTEGER NOT NULL DEFAULT 0,  -- batch tasks that arrived for it
    tested_by TEXT,                    -- who finished it
    not_tested TEXT,                   -- JSON {url: reason}: pages the browser could not test
    UNIQUE (run_id, stage, n)
);
CREATE INDEX IF NOT EXISTS findings_run ON findings(run_id);
"""

PAGE_COLUMNS = ["url", "final_url", "redirect_to", "status", "error", "error_detail", "verdict", "content_type", "is_html", "size", "truncated", "charset", "title", "h1", "anchors", "meta", "lang", "stamps", "response_time", "depth", "last_modified", "etag", "headers", "found_on", "fetched", "body_hash", "revalidated", "carried_from"]
RESOURCE_COLUMNS = ["url", "kind", "method", "final_url", "redirect_to", "status", "error", "error_detail", "verdict", "content_type", "content_length", "size", "truncated", "head", "response_time", "last_modified", "etag", "headers", "found_on", "fetched", "revalidated"]
LINK_COLUMNS = ["element", "attribute", "text", "raw", "url", "fragment", "rel", "target", "title", "scope", "grp",
                "row_text", "row_label", "hreflang"]

LINK_VALUES = operator.itemgetter(*LINK_COLUMNS)

UPGRADE_COLUMNS = (("links", "row_text", "TEXT"), ("links", "row_label", "TEXT"),  # schema 1 -> 2
                   ("runs", "verdict", "TEXT"),                                    # schema 2 -> 3
                   ("runs", "plan", "TEXT"), ("pages", "body_hash", "TEXT"),       # schema 3 -> 4
                   ("pages", "revalidated", "TEXT"), ("pages", "carried_from", "INTEGER"),
                   ("resources", "revalidated", "TEXT"),
                   ("findings", "message_en", "TEXT"),                             # schema 4 -> 5
                   ("links", "hreflang", "TEXT"))                                  # schema 5 -> 6
# schema 4 -> 5 also: the uptime_manual table (a person's check entered as a day's record), created by SCHEMA
# schema 6 -> 7: links indexed by run (links_run) instead of by run and URL (links_run_url, dropped by SCHEMA)


class StoreError(RuntimeError):
    """The database cannot be opened or is not a siteaudit store."""


def store_version(name: str, tables: set[str], marker: Any) -> int:
    """The schema version of a database about to be opened as a store, judged before anything is written to it:
    0 when it has no table (a new store), else siteaudit's version marker. Another program's database (tables but
    no marker) and a newer siteaudit's store (whose schema this version would alter) are a StoreError."""
    if not tables:
        return 0
    if "runs" not in tables or not str(marker or "").isdigit():
        shown = ", ".join(sorted(tables)[:6]) + (", …" if len(tables) > 6 else "")
        raise StoreError(f"{name} is not a siteaudit store, or a damaged one (tables {shown}, no siteaudit schema "
                         "version); nothing was written to it: give a new file or a siteaudit store")
    version = int(marker)
    if version > SCHEMA_VERSION:
        raise StoreError(f"{name} was written by a newer siteaudit (schema {version}); this siteaudit knows "
                         f"schemas up to {SCHEMA_VERSION} and wrote nothing to it: upgrade siteaudit to use it")
    return version


@dataclass
class Target:
    """What a URL resolved to when it was fetched: a page or a checked resource."""

    url: str
    table: str
    status: int | None
    error: str | None
    error_detail: str | None
    verdict: str | None
    final_url: str | None
    redirect_chain: list[list[Any]]
    content_type: str | None
    is_html: bool
    title: str | None
    h1: str | None
    anchors: list[str] | None
    kind: str
    size: int | None = None


def unresolved(target: Target | None, targets: dict[str, Target]) -> bool:
    """Was this URL (or where it redirected) left unchecked because the audit machine could not resolve names?"""
    if target is not None and target.final_url and target.final_url != target.url:
        target = targets.get(target.final_url, target)
    return target is not None and target.verdict == "unresolved"


def usable(target: Target | None, targets: dict[str, Target]) -> bool | None:
    """Did following this URL give a usable answer? True: yes; False: broken, blocked or empty (zero bytes);
    None: never fetched (robots, trap, excluded) or not resolvable on an audit machine without DNS (`unresolved`),
    so it cannot tell."""
    if target is None:
        return None
    if target.final_url and target.final_url != target.url:
        target = targets.get(target.final_url, target)
    if target.verdict in ("skipped", "unresolved"):
        return None
    if target.verdict == "ok" and target.status is not None and target.status < 400:
        return target.size != 0
    return False


class Store:
    """A connection to the audit database."""

    def __init__(self, path: str | Path, create: bool = True) -> None:
        if is_database_url(path):
            self.path: str | Path = str(path)
            self.db: Any = lazy.load(PG_CONNECTION).open(str(path), create)
            return
        self.path = Path(path)
        if not create and not self.path.is_file():
            raise StoreError(f"no store at {self.path}")
        for attempt in range(6):
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.db = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
                self._open_sqlite()
                return
            except sqlite3.OperationalError as exc:
                # Two processes creating a new store at once: one may be told "locked" without waiting.
                if "locked" not in str(exc) or attempt == 5:
                    raise StoreError(f"cannot open the store {self.path}: {exc}")
                time.sleep(0.1 * (attempt + 1))
            except (sqlite3.DatabaseError, OSError) as exc:
                raise StoreError(f"cannot open the store {self.path}: {exc}")

    def _open_sqlite(self) -> None:
        """Judge the file before writing a byte to it (another program's database or a newer siteaudit's store is
        refused as it is), then switch it to WAL and create or upgrade the schema."""
        try:
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA busy_timeout=30000")
            version = self._sqlite_version()
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            if version == SCHEMA_VERSION:
                self.db.executescript(SCHEMA)  # tables added since without a new version
                return
            # One transaction: another process sees no store or a whole one with its version, never a part.
            self.db.executescript(f"BEGIN IMMEDIATE;\n{SCHEMA}\nINSERT OR IGNORE INTO meta (key, value) "
                                  f"VALUES ('schema_version', '{SCHEMA_VERSION}');\nCOMMIT;")
            self._upgrade()
        except BaseException:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            self.db.close()
            raise

    def _sqlite_version(self) -> int:
        """The file's schema version, read without writing: 0 when it is empty; StoreError when it is not an
        SQLite database, another program's database, or a newer siteaudit's store."""
        try:
            tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")
                      if not r[0].startswith("sqlite_")}
        except sqlite3.DatabaseError as exc:
            if "not a database" not in str(exc):
                raise
            raise StoreError(f"{self.path} is not an SQLite database, so not a siteaudit store ({exc})")
        marker = None
        if "meta" in tables:
            try:
                row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            except sqlite3.OperationalError:  # a `meta` table of another program
                row = None
            marker = row[0] if row else None
        return store_version(str(self.path), tables, marker)

    @property
    def name(self) -> str:
        """The store's location for messages (a database URL without its password)."""
        return redact_database_url(str(self.path)) if is_database_url(self.path) else str(self.path)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        """Close; a database error on the way (a damaged file, a lost server) becomes one StoreError naming it."""
        try:
            self.close()
        except pg_errors():
            pass
        if isinstance(exc, (sqlite3.DatabaseError, *pg_errors())):
            raise StoreError(f"the store {self.name} is damaged or unreadable: {exc}") from exc

    def _upgrade(self) -> None:
        """Bring a store written by an earlier version up to SCHEMA_VERSION in one transaction; adds columns,
        never drops data."""
        self.db.execute("BEGIN IMMEDIATE")
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        if store_version(str(self.path), {"meta", "runs"}, row[0] if row else None) == SCHEMA_VERSION:
            self.db.execute("COMMIT")  # upgraded by another process meanwhile
            return
        for table, column, kind in UPGRADE_COLUMNS:
            if column not in {row[1] for row in self.db.execute(f"PRAGMA table_info({table})")}:
                self.db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)",
                        (str(SCHEMA_VERSION),))
        self.db.execute("COMMIT")

    def schema_version(self) -> int:
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else 0

    def integrity_problems(self) -> list[str]:
        """What is inconsistent in the store: duplicate page or resource URLs of a run, links or findings of
        missing runs or pages, runs still marked running. Empty when the store is whole."""
        problems = []
        for table in ("pages", "resources"):
            for row in self.db.execute(f"SELECT run_id, url, COUNT(*) FROM {table} GROUP BY run_id, url "
                                       "HAVING COUNT(*) > 1"):
                problems.append(f"{table}: {row[1]} stored {row[2]} times in run {row[0]}")
        for row in self.db.execute("SELECT COUNT(*) FROM links l LEFT JOIN pages p ON p.id = l.page_id "
                                   "WHERE p.id IS NULL"):
            if row[0]:
                problems.append(f"links: {row[0]} links of missing pages")
        for table in ("pages", "findings"):
            for row in self.db.execute(f"SELECT COUNT(*) FROM {table} t LEFT JOIN runs r ON r.id = t.run_id "
                                       "WHERE r.id IS NULL"):
                if row[0]:
                    problems.append(f"{table}: {row[0]} rows of missing runs")
        for row in self.db.execute("SELECT run_id, url, COUNT(*) FROM a11y_tests GROUP BY run_id, url "
                                   "HAVING COUNT(*) > 1"):
            problems.append(f"a11y_tests: {row[1]} tested {row[2]} times in run {row[0]}")
        problems += self._a11y_batch_problems()
        return problems

    def _a11y_batch_problems(self) -> list[str]:
        """Pages of a finished accessibility batch with neither a stored result nor a reason."""
        problems = []
        tested: dict[int, set[str]] = {}
        for row in self.db.execute("SELECT run_id, pages, not_tested FROM a11y_batches WHERE state='done'"):
            run_id = int(row[0])
            if run_id not in tested:
                tested[run_id] = set(self.a11y_tests(run_id))
            missing = set(json.loads(row[1])) - tested[run_id] - set(json.loads(row[2] or "{}"))
            problems += [f"a11y_batches: {url} of run {run_id} has no result" for url in sorted(missing)]
        return problems

    # -- transactions -------------------------------------------------------------------------
    def begin(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def rollback(self) -> None:
        self.db.execute("ROLLBACK")

    # -- runs ---------------------------------------------------------------------------------
    def create_run(self, site: str, config: dict[str, Any], config_hash: str, versions: dict[str, str]) -> int:
        cur = self.db.execute(
            "INSERT INTO runs (site, started, status, config, config_hash, versions) VALUES (?,?,?,?,?,?)",
            (site, now(), "running", json.dumps(config, ensure_ascii=False), config_hash,
             json.dumps(versions)),
        )
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, status: str, summary: dict[str, Any] | None = None,
                   error: str | None = None) -> None:
        self.db.execute(
            "UPDATE runs SET finished=?, status=?, summary=?, error=? WHERE id=?",
            (now(), status, json.dumps(summary or {}, ensure_ascii=False), error, run_id),
        )

    def claim_run(self, run_id: int, owner: str, alive: Callable[[str], bool]) -> str | None:
        """Take run `run_id` for `owner`, unless another owner that `alive` says still runs holds it: then
        return that owner. A lock left by a dead process is taken over."""
        key = f"run-owner:{run_id}"
        self.begin()
        try:
            row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
            if row and row[0] != owner and alive(row[0]):
                self.rollback()
                return str(row[0])
            self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                            "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, owner))
        except BaseException:
            self.rollback()
            raise
        self.commit()
        return None

    def run_owners(self) -> dict[int, str]:
        """Run id -> the process (host:pid) holding it, for every run someone holds."""
        rows = self.db.execute("SELECT key, value FROM meta WHERE key LIKE 'run-owner:%'").fetchall()
        return {int(key.split(":", 1)[1]): str(value) for key, value in rows if key.split(":", 1)[1].isdigit()}

    def release_run(self, run_id: int, owner: str) -> None:
        self.db.execute("DELETE FROM meta WHERE key=? AND value=?", (f"run-owner:{run_id}", owner))

    def save_verdict(self, run_id: int, verdict: dict[str, Any]) -> None:
        """Keep the run's judged outcome, so later reports and trends read it instead of judging again."""
        self.db.execute("UPDATE runs SET verdict=? WHERE id=?", (json.dumps(verdict, ensure_ascii=False), run_id))

    def previous_complete_run(self, site: str, before: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM runs WHERE site=? AND id<? AND status='complete' ORDER BY id DESC "
                              "LIMIT 1", (site, before)).fetchone()
        return _run_dict(row) if row else None

    def complete_runs(self, site: str, up_to: int, limit: int) -> list[dict[str, Any]]:
        """The last `limit` complete runs of `site` up to run `up_to`, oldest first."""
        rows = self.db.execute("SELECT * FROM runs WHERE site=? AND id<=? AND status='complete' ORDER BY id DESC "
                               "LIMIT ?", (site, up_to, limit)).fetchall()
        return [_run_dict(r) for r in reversed(rows)]

    def runs_between(self, site: str, start: float, end: float) -> list[dict[str, Any]]:
        """The complete runs of `site` started in [start, end), oldest first: the columns a year's trend reads
        (never the config or the summaries), so a year of nightly runs stays a small read."""
        rows = self.db.execute("SELECT id, site, started, finished, status, plan, verdict FROM runs WHERE site=? "
                               "AND started>=? AND started<? AND status='complete' ORDER BY started, id",
                               (site, start, end)).fetchall()
        return [_run_dict(r) for r in rows]

    def mark_running(self, run_id: int) -> None:
        self.db.execute("UPDATE runs SET status='running', finished=NULL, error=NULL WHERE id=?", (run_id,))

    def run(self, run_id: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        return _run_dict(row) if row else None

    def latest_run(self, site: str | None = None, status: str | None = None) -> dict[str, Any] | None:
        sql, args = "SELECT * FROM runs WHERE 1=1", []
        if site:
            sql += " AND site=?"
            args.append(site)
        if status:
            sql += " AND status=?"
            args.append(status)
        row = self.db.execute(sql + " ORDER BY id DESC LIMIT 1", args).fetchone()
        return _run_dict(row) if row else None

    def runs(self, site: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        sql, args = "SELECT * FROM runs", []
        if site:
            sql += " WHERE site=?"
            args.append(site)
        rows = self.db.execute(sql + " ORDER BY id DESC LIMIT ?", [*args, limit]).fetchall()
        return [_run_dict(r) for r in rows]

    def sites(self) -> list[str]:
        """Every site with a run in the store, by name."""
        return [r[0] for r in self.db.execute("SELECT DISTINCT site FROM runs ORDER BY site")]

    # -- crawl writes (called inside a transaction by the pipeline) ---------------------------
    def insert_page(self, run_id: int, page: dict[str, Any], links: Iterable[dict[str, Any]]) -> int:
        given = [c for c in PAGE_COLUMNS if page.get(c) is not None]  # the rest take their column defaults
        cols = ["run_id", *given]
        values = [run_id, *(_db_value(page[c], c) for c in given)]
        # A page already stored keeps its id and links: a second writer of the same run (a resume racing the
        # crawl it resumes) never re-inserts it under a new id, which would orphan its links.
        row = self.db.execute(
            f"INSERT INTO pages ({','.join(cols)}) VALUES ({','.join('?' * len(cols))}) "
            "ON CONFLICT (run_id, url) DO NOTHING RETURNING id", values
        ).fetchone()
        if row is None:
            return int(self.db.execute("SELECT id FROM pages WHERE run_id=? AND url=?",
                                       (run_id, page.get("url"))).fetchone()[0])
        page_id = int(row[0])
        self.db.executemany(
            f"INSERT INTO links (run_id, page_id, {','.join(LINK_COLUMNS)}) "
            f"VALUES (?,?,{','.join('?' * len(LINK_COLUMNS))})",
            (_link_row(run_id, page_id, link) for link in links),
        )
        return page_id

    def insert_resource(self, run_id: int, resource: dict[str, Any]) -> None:
        cols = ["run_id", *RESOURCE_COLUMNS]
        values = [run_id, *(_db_value(resource.get(c), c) for c in RESOURCE_COLUMNS)]
        self.db.execute(
            f"INSERT OR REPLACE INTO resources ({','.join(cols)}) VALUES ({','.join('?' * len(cols))})", values
        )

    def finalize_redirects(self, run_id: int) -> None:
        """Fill final_url and redirect_chain of every fetched URL that redirects by following its hops (a URL that
        does not keeps NULL in both: writing its one hop into every row would cost more than all the rest)."""
        hops: dict[str, tuple[int | None, str | None]] = {}
        for table in ("pages", "resources"):
            for row in self.db.execute(f"SELECT url, status, redirect_to FROM {table} WHERE run_id=?", (run_id,)):
                hops.setdefault(row["url"], (row["status"], row["redirect_to"]))
        updates = []
        for url, (_, first) in hops.items():
            if not first:
                continue
            chain, seen, cur = [], set(), url
            while cur in hops and cur not in seen:
                seen.add(cur)
                status, nxt = hops[cur]
                chain.append([cur, status])
                if not nxt:
                    break
                cur = nxt
            else:
                if cur not in hops:
                    chain.append([cur, None])
                else:
                    chain.append([cur, "loop"])
            updates.append((chain[-1][0], json.dumps(chain, ensure_ascii=False), run_id, url))
        self.begin()
        for table in ("pages", "resources"):
            self.db.executemany(f"UPDATE {table} SET final_url=?, redirect_chain=? WHERE run_id=? AND url=?",
                                updates)
        self.commit()

    # -- resume -------------------------------------------------------------------------------
    def fetched_urls(self, run_id: int) -> set[str]:
        urls = {r[0] for r in self.db.execute("SELECT url FROM pages WHERE run_id=?", (run_id,))}
        urls |= {r[0] for r in self.db.execute("SELECT url FROM resources WHERE run_id=?", (run_id,))}
        return urls

    def scheduled_pages(self, run_id: int) -> int:
        """Pages the crawl fetched or tried (trap URLs are recorded but never count toward max_pages)."""
        return int(self.db.execute("SELECT COUNT(*) FROM pages WHERE run_id=? AND (error IS NULL OR error NOT "
                                   "LIKE 'trap:%')", (run_id,)).fetchone()[0])

    def trap_cuts(self, run_id: int) -> list[tuple[str, str, str | None]]:
        """URLs the crawl cut as crawler traps and never fetched: (url, reason such as trap:growing-parameter, the
        page that linked them)."""
        return [(r[0], r[1], r[2]) for r in self.db.execute(
            "SELECT url, error, found_on FROM pages WHERE run_id=? AND error LIKE 'trap:%' ORDER BY url", (run_id,))]

    def traps(self, run_id: int) -> list[Trap]:
        """The crawler traps of a run, with the fetched pages reached only through them (`core.urls.find_traps`)."""
        fetched = [(r[0], r[1]) for r in self.db.execute("SELECT url, found_on FROM pages WHERE run_id=?", (run_id,))]
        return find_traps(self.trap_cuts(run_id), fetched)

    def frontier(self, run_id: int) -> list[tuple[str, str, int, str]]:
        """Targets linked from stored pages (or redirected to) that were never fetched: (url, scope, depth, found_on)."""
        rows = self.db.execute(
            """SELECT l.url, l.scope, MIN(p.depth) + 1 AS depth, MIN(p.url) AS found_on
               FROM links l JOIN pages p ON p.id = l.page_id
               WHERE l.run_id=? AND l.url IS NOT NULL AND l.scope IN ('page','document','asset','external')
               GROUP BY l.url, l.scope""",
            (run_id,),
        ).fetchall()
        out = [(r["url"], r["scope"], r["depth"], r["found_on"]) for r in rows]
        for table, scope in (("pages", "page"), ("resources", None)):
            for r in self.db.execute(
                f"SELECT redirect_to, {'depth' if table == 'pages' else '0'} AS depth, url"
                f"{'' if table == 'pages' else ', kind'} FROM {table} WHERE run_id=? AND redirect_to IS NOT NULL",
                (run_id,),
            ):
                out.append((r["redirect_to"], scope or r["kind"], r["depth"] or 0, r["url"]))
        return out

    def external_cache(self, site: str, max_age: float, exclude_run: int) -> dict[str, dict[str, Any]]:
        """The latest definite result of each external URL checked for `site` within `max_age` seconds."""
        rows = self.db.execute(
            """SELECT r.*, r.run_id AS cached_run FROM resources r JOIN runs ON runs.id = r.run_id
               WHERE runs.site=? AND r.run_id != ? AND r.kind='external' AND r.fetched > ?
                 AND r.verdict IN ('ok', 'broken') ORDER BY r.fetched""",
            (site, exclude_run, time.time() - max_age),
        ).fetchall()
        return {r["url"]: {k: r[k] for k in RESOURCE_COLUMNS} | {"cached_run": r["cached_run"]} for r in rows}

    # -- incremental runs ---------------------------------------------------------------------
    def set_plan(self, run_id: int, plan: dict[str, Any]) -> None:
        """Record whether the run is full or incremental, against which run, and why."""
        self.db.execute("UPDATE runs SET plan=? WHERE id=?", (json.dumps(plan, ensure_ascii=False), run_id))

    def revalidation_index(self, run_id: int) -> dict[str, tuple[str | None, str | None, str | None]]:
        """Pages of run `run_id` that can be carried into a later run when unchanged (whole HTML pages fetched
        without error): url -> (ETag, Last-Modified, body hash)."""
        rows = self.db.execute(
            "SELECT url, etag, last_modified, body_hash FROM pages WHERE run_id=? AND is_html=1 AND error IS NULL "
            "AND truncated=0 AND status BETWEEN 200 AND 299 AND (body_hash IS NOT NULL OR etag IS NOT NULL "
            "OR last_modified IS NOT NULL)", (run_id,))
        return {r[0]: (r[1], r[2], r[3]) for r in rows}

    def document_index(self, run_id: int) -> dict[str, tuple[str | None, str | None]]:
        """Documents of run `run_id` fetched whole enough to carry on a 304: url -> (ETag, Last-Modified)."""
        rows = self.db.execute(
            "SELECT url, etag, last_modified FROM resources WHERE run_id=? AND kind='document' AND method='GET' "
            "AND error IS NULL AND verdict='ok' AND (etag IS NOT NULL OR last_modified IS NOT NULL)", (run_id,))
        return {r[0]: (r[1], r[2]) for r in rows}

    def stored_page(self, run_id: int, url: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """A page of run `run_id` as it was stored, with its links, ready to be inserted into another run."""
        row = self.db.execute("SELECT * FROM pages WHERE run_id=? AND url=?", (run_id, url)).fetchone()
        if row is None:
            return None
        page = {c: row[c] for c in PAGE_COLUMNS}
        links = [{c: r[c] for c in LINK_COLUMNS} for r in self.db.execute(
            f"SELECT {','.join(LINK_COLUMNS)} FROM links WHERE page_id=? ORDER BY id", (row["id"],))]
        return page, links

    def stored_resource(self, run_id: int, url: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM resources WHERE run_id=? AND url=?", (run_id, url)).fetchone()
        return {c: row[c] for c in RESOURCE_COLUMNS} if row else None

    def reuse_counts(self, run_id: int) -> dict[str, Any]:
        """How much of a run's crawl was carried over unchanged: pages by how they were found unchanged, by the
        run whose parse was carried, and documents answered 304."""
        pages = {r[0]: int(r[1]) for r in self.db.execute(
            "SELECT COALESCE(revalidated, 'fetched'), COUNT(*) FROM pages WHERE run_id=? AND is_html=1 "
            "GROUP BY COALESCE(revalidated, 'fetched')", (run_id,))}
        origins = {int(r[0]): int(r[1]) for r in self.db.execute(
            "SELECT carried_from, COUNT(*) FROM pages WHERE run_id=? AND carried_from IS NOT NULL "
            "GROUP BY carried_from", (run_id,))}
        documents = self.db.execute("SELECT COUNT(*) FROM resources WHERE run_id=? AND revalidated IS NOT NULL",
                                    (run_id,)).fetchone()[0]
        return {"pages_fetched": pages.get("fetched", 0), "pages_not_modified": pages.get("not-modified", 0),
                "pages_same_body": pages.get("same-body", 0), "documents_not_modified": int(documents),
                "carried_from": origins}

    def template_assets(self, run_id: int) -> dict[str, list[str]]:
        """The stylesheets and scripts each page of a run loads, each with what its answer said about its version
        (ETag, Last-Modified, length, status): page url -> sorted ["url validators", ...]."""
        versions = {r["url"]: f"{r['etag'] or ''}|{r['last_modified'] or ''}|{r['content_length'] or ''}|"
                              f"{r['status'] or r['error'] or ''}"
                    for r in self.db.execute("SELECT url, etag, last_modified, content_length, status, error "
                                             "FROM resources WHERE run_id=? AND kind='asset'", (run_id,))}
        out: dict[str, set[str]] = {}
        for page_url, url in self.db.execute(
                "SELECT p.url, l.url FROM links l JOIN pages p ON p.id = l.page_id WHERE l.run_id=? "
                "AND l.url IS NOT NULL AND (l.element = 'script' OR (l.element = 'link' AND "
                "LOWER(COALESCE(l.rel, '')) LIKE '%stylesheet%'))", (run_id,)):
            out.setdefault(page_url, set()).add(f"{url} {versions.get(url, 'not-checked')}")
        return {page: sorted(assets) for page, assets in out.items()}

    def a11y_tests(self, run_id: int) -> dict[str, dict[str, Any]]:
        """The pages of a run with a browser result (tested in it or reused): url -> fingerprint, tested_run,
        tested_at."""
        return {r[0]: {"fingerprint": r[1], "tested_run": int(r[2]), "tested_at": float(r[3])}
                for r in self.db.execute("SELECT url, fingerprint, tested_run, tested_at FROM a11y_tests "
                                         "WHERE run_id=?", (run_id,))}

    def add_a11y_tests(self, run_id: int, rows: Iterable[dict[str, Any]]) -> None:
        """Store browser results of run `run_id`: fresh ones with their result, reused ones naming the run that
        tested them. Writing a page twice (a redelivered batch) keeps one row."""
        self.db.executemany(
            "INSERT OR REPLACE INTO a11y_tests (run_id, url, fingerprint, tested_run, tested_at, result) "
            "VALUES (?,?,?,?,?,?)",
            [(run_id, r["url"], r["fingerprint"], r["tested_run"], r["tested_at"],
              json.dumps(r["result"], ensure_ascii=False) if r.get("result") is not None else None) for r in rows])

    def a11y_results(self, run_id: int) -> dict[str, dict[str, Any]]:
        """The browser result of every page of run `run_id` that has one, read from the run that tested it."""
        rows = self.db.execute(
            "SELECT t.url, COALESCE(t.result, o.result) FROM a11y_tests t LEFT JOIN a11y_tests o "
            "ON t.result IS NULL AND o.run_id = t.tested_run AND o.url = t.url WHERE t.run_id=?", (run_id,))
        return {r[0]: json.loads(r[1]) for r in rows if r[1]}

    # -- accessibility batches: claimable by any worker of a fleet, under a lease ---------------
    def add_a11y_batches(self, run_id: int, stage: str, batches: list[dict[str, str]]) -> None:
        """Record the batches of a new accessibility stage of run `run_id` (each {url: fingerprint}), and drop
        the open batches of the run's earlier stages: nobody waits for them any more."""
        self.db.execute("UPDATE a11y_batches SET state='dropped' WHERE run_id=? AND stage<>? AND state='open'",
                        (run_id, stage))
        self.db.executemany("INSERT INTO a11y_batches (run_id, stage, n, pages) VALUES (?,?,?,?) "
                            "ON CONFLICT (run_id, stage, n) DO NOTHING",
                            [(run_id, stage, n, json.dumps(pages, ensure_ascii=False))
                             for n, pages in enumerate(batches)])

    def claim_a11y_batch(self, run_id: int, stage: str, n: int, owner: str, seconds: float) -> bool:
        """Take an open batch for `owner` for `seconds`, when nobody holds it or its holder's lease lapsed
        (one UPDATE: of two claimants at once, one wins)."""
        now = time.time()
        rows = self.db.execute(
            "UPDATE a11y_batches SET owner=?, expires=?, claims=claims+1 WHERE run_id=? AND stage=? AND n=? "
            "AND state='open' AND (owner IS NULL OR owner=? OR expires<?) RETURNING n",
            (owner, now + seconds, run_id, stage, n, owner, now)).fetchall()
        return bool(rows)

    def renew_a11y_batch(self, run_id: int, stage: str, n: int, owner: str, seconds: float) -> bool:
        """Extend `owner`'s lease; False when the batch is no longer open or another owner took it."""
        rows = self.db.execute("UPDATE a11y_batches SET expires=? WHERE run_id=? AND stage=? AND n=? AND owner=? "
                               "AND state='open' RETURNING n",
                               (time.time() + seconds, run_id, stage, n, owner)).fetchall()
        return bool(rows)

    def finish_a11y_batch(self, run_id: int, stage: str, n: int, owner: str, not_tested: dict[str, str]) -> None:
        """The batch's pages all have a stored result, or the reason the browser could not test them."""
        self.db.execute("UPDATE a11y_batches SET state='done', tested_by=?, not_tested=? WHERE run_id=? AND "
                        "stage=? AND n=? AND state='open'",
                        (owner, json.dumps(not_tested, ensure_ascii=False), run_id, stage, n))

    def count_a11y_delivery(self, run_id: int, stage: str, n: int) -> None:
        self.db.execute("UPDATE a11y_batches SET deliveries=deliveries+1 WHERE run_id=? AND stage=? AND n=?",
                        (run_id, stage, n))

    def a11y_batches(self, run_id: int, stage: str | None = None) -> list[dict[str, Any]]:
        """The batches of a run (of one stage), in order, with their lease and who tested them."""
        sql, args = "SELECT * FROM a11y_batches WHERE run_id=?", [run_id]
        if stage is not None:
            sql += " AND stage=?"
            args.append(stage)
        out = []
        for row in self.db.execute(sql + " ORDER BY id", args):
            d = dict(row)
            d["pages"] = json.loads(d["pages"])
            d["not_tested"] = json.loads(d["not_tested"]) if d["not_tested"] else {}
            out.append(d)
        return out

    # -- reads for checks and reports ---------------------------------------------------------
    def pages(self, run_id: int, html_only: bool = False) -> Iterator[sqlite3.Row]:
        sql = "SELECT * FROM pages WHERE run_id=?"
        if html_only:
            sql += " AND is_html=1 AND status BETWEEN 200 AND 299"
        yield from self.db.execute(sql + " ORDER BY id", (run_id,))

    def page_urls(self, run_id: int) -> set[str]:
        """The URLs of the run's pages that answered with HTML (the pages a finding can be on)."""
        return {r[0] for r in self.db.execute("SELECT url FROM pages WHERE run_id=? AND is_html=1 AND status BETWEEN "
                                              "200 AND 299", (run_id,))}

    def resources(self, run_id: int, kind: str | None = None) -> Iterator[sqlite3.Row]:
        sql, args = "SELECT * FROM resources WHERE run_id=?", [run_id]
        if kind:
            sql += " AND kind=?"
            args.append(kind)
        yield from self.db.execute(sql + " ORDER BY id", args)

    def _link_rows(self, run_id: int, columns: tuple[str, ...]) -> Iterator[tuple[Any, ...]]:
        """Link columns plus page_id, read in rowid order: a run's links are stored together, so a rowid
        range is a sequential read of the table itself."""
        for column in columns:
            if column not in LINK_COLUMNS:
                raise ValueError(f"unknown link column {column}")
        lo, hi = self.db.execute("SELECT MIN(id), MAX(id) FROM links WHERE run_id=?", (run_id,)).fetchone()
        if lo is None:
            return
        cursor = self.db.cursor()
        cursor.row_factory = None
        cols = ", ".join(columns)
        # "+run_id" keeps SQLite off the run_id index, so it walks the rowid range in order
        yield from cursor.execute(f"SELECT {cols}, page_id FROM links WHERE id BETWEEN ? AND ? AND +run_id=?",
                                  (lo, hi, run_id))

    def _page_urls(self, run_id: int) -> dict[int, str]:
        return {r[0]: r[1] for r in self.db.execute("SELECT id, url FROM pages WHERE run_id=?", (run_id,))}

    def link_tuples(self, run_id: int, columns: tuple[str, ...]) -> Iterator[tuple[Any, ...]]:
        """Links as plain tuples of the named link columns plus the page URL last: the fast path for checks."""
        urls = self._page_urls(run_id)
        for row in self._link_rows(run_id, columns):
            yield (*row[:-1], urls[row[-1]])

    def link_groups(self, run_id: int, columns: tuple[str, ...]) -> Iterator[tuple[Any, ...]]:
        """Distinct combinations of the named link columns, each with its pages and number of occurrences.

        Navigation repeats the same links on every page; checks that judge a link by its columns do the
        work once per combination instead of once per occurrence.
        """
        urls = self._page_urls(run_id)
        groups: dict[tuple[Any, ...], list[str]] = {}
        for row in self._link_rows(run_id, columns):
            groups.setdefault(row[:-1], []).append(urls[row[-1]])
        for key, pages in groups.items():
            yield (*key, pages, len(pages))

    def targets(self, run_id: int) -> dict[str, Target]:
        """Every fetched URL of the run, pages first, keyed by URL."""
        out: dict[str, Target] = {}
        for row in self.db.execute(
            "SELECT url, status, error, error_detail, verdict, final_url, redirect_chain, content_type, is_html, "
            "title, h1, anchors, size FROM pages WHERE run_id=?",
            (run_id,),
        ):
            out[row["url"]] = Target(
                row["url"], "pages", row["status"], row["error"], row["error_detail"], row["verdict"],
                row["final_url"], json.loads(row["redirect_chain"] or "[]"), row["content_type"],
                bool(row["is_html"]), row["title"], row["h1"],
                json.loads(row["anchors"]) if row["anchors"] else None, "page", row["size"],
            )
        for row in self.db.execute(
            "SELECT url, kind, status, error, error_detail, verdict, final_url, redirect_chain, content_type, "
            "size, content_length FROM resources WHERE run_id=?",
            (run_id,),
        ):
            out.setdefault(row["url"], Target(
                row["url"], "resources", row["status"], row["error"], row["error_detail"], row["verdict"],
                row["final_url"], json.loads(row["redirect_chain"] or "[]"), row["content_type"], False, None,
                None, None, row["kind"], row["content_length"] if row["content_length"] is not None else row["size"],
            ))
        return out

    def external_outcomes(self, run_id: int) -> list[tuple[str, int | None, str | None, str | None]]:
        """(url, status, error, error_detail) of every external URL the run checked."""
        rows = self.db.execute("SELECT url, status, error, error_detail FROM resources WHERE run_id=? "
                               "AND kind='external'", (run_id,))
        return [(r["url"], r["status"], r["error"], r["error_detail"]) for r in rows]

    def mark_unresolved(self, run_id: int, detail: str) -> None:
        """The run's external URLs that failed DNS become `unresolved`: not checked (the audit machine had no
        resolver), never broken."""
        self.db.execute("UPDATE resources SET verdict='unresolved', error_detail=? WHERE run_id=? "
                              "AND kind='external' AND error='dns'", (detail, run_id))

    def page_outcome(self, run_id: int, url: str) -> sqlite3.Row | None:
        """Status, error and final URL of the page fetched as `url` (else the run's first page)."""
        sql = "SELECT url, status, error, error_detail, final_url, meta FROM pages WHERE run_id=?"
        return self.db.execute(sql + " AND url=?", (run_id, url)).fetchone() or \
            self.db.execute(sql + " ORDER BY id LIMIT 1", (run_id,)).fetchone()

    def fetched_page(self, run_id: int, *urls: str) -> sqlite3.Row | None:
        """The page row fetched under any of `urls`, or None."""
        marks = ",".join("?" * len(urls))
        return self.db.execute(f"SELECT url, final_url, meta FROM pages WHERE run_id=? AND url IN ({marks}) "
                               "ORDER BY id LIMIT 1", (run_id, *urls)).fetchone()

    def count_pages(self, run_id: int) -> int:
        return int(self.db.execute(
            "SELECT COUNT(*) FROM pages WHERE run_id=? AND is_html=1 AND status BETWEEN 200 AND 299", (run_id,)
        ).fetchone()[0])

    # -- findings -----------------------------------------------------------------------------
    def replace_findings(self, run_id: int, findings: Iterable[dict[str, Any]]) -> None:
        """All of a run's findings or, when a write fails (a full disk), its earlier ones, never half."""
        self.begin()
        try:
            self.db.execute("DELETE FROM findings WHERE run_id=?", (run_id,))
            self.db.executemany(
                "INSERT INTO findings (run_id, check_name, rule, severity, url, pages, message, evidence, message_en) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    (run_id, f["check"], f["rule"], f["severity"], f["url"],
                     json.dumps(f["pages"], ensure_ascii=False), f["message"],
                     json.dumps(f["evidence"], ensure_ascii=False), f.get("message_en"))
                    for f in findings
                ),
            )
            self.commit()
        except BaseException:
            with contextlib.suppress(sqlite3.Error, *pg_errors()):  # SQLite may have rolled back already
                self.rollback()
            raise

    def findings(self, run_id: int) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM findings WHERE run_id=? ORDER BY id", (run_id,)).fetchall()
        return [
            {"check": r["check_name"], "rule": r["rule"], "severity": r["severity"], "url": r["url"],
             "pages": json.loads(r["pages"]), "message": r["message"], "evidence": json.loads(r["evidence"]),
             **({"message_en": r["message_en"]} if r["message_en"] else {})}
            for r in rows
        ]


    # -- availability log -----------------------------------------------------------------------
    def add_probes(self, rows: Iterable[dict[str, Any]]) -> None:
        """Append probe tries; never updates an earlier row."""
        self.begin()
        self.db.executemany(
            "INSERT INTO uptime_probes (site, batch, started, url, attempt, ok, status, reason, detail) "
            "VALUES (?,?,?,?,?,?,?,?,?)",
            ((r["site"], r["batch"], r["started"], r["url"], r["attempt"], int(r["ok"]), r.get("status"),
              r.get("reason"), json.dumps(r.get("detail", {}), ensure_ascii=False)) for r in rows),
        )
        self.commit()

    def probes(self, site: str, start: float, end: float) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM uptime_probes WHERE site=? AND started>=? AND started<? "
                               "ORDER BY started, id", (site, start, end)).fetchall()
        return [{**dict(r), "detail": json.loads(r["detail"] or "{}")} for r in rows]

    def normal_probe_sizes(self, site: str, url: str, limit: int) -> list[int]:
        """Body sizes of the last `limit` 正常 probes of `url`, newest first: what the page usually weighs."""
        rows = self.db.execute("SELECT detail FROM uptime_probes WHERE site=? AND url=? AND ok=1 "
                               "ORDER BY started DESC, id DESC LIMIT ?", (site, url, limit))
        sizes = (json.loads(r[0] or "{}").get("bytes") for r in rows)
        return [size for size in sizes if isinstance(size, int)]

    def add_alert(self, site: str, batch: str, channel: str, ok: bool, detail: str) -> None:
        """Record one alert of a probe batch: sent, or why it could not be."""
        self.db.execute("INSERT INTO uptime_alerts (site, batch, created, channel, ok, detail) VALUES (?,?,?,?,?,?)",
                        (site, batch, time.time(), channel, int(ok), detail))

    def alerts(self, site: str, batch: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM uptime_alerts WHERE site=? AND batch=? ORDER BY id",
                               (site, batch)).fetchall()
        return [{**dict(r), "ok": bool(r["ok"])} for r in rows]

    def add_run_message(self, site: str, run_id: int, channel: str, ok: bool, detail: str) -> None:
        """Record a message sent about run `run_id` (the nightly digest), or why it could not be: kept with the
        alerts, under the run's own key."""
        self.add_alert(site, f"run:{run_id}", channel, ok, detail)

    def run_messages(self, site: str, run_id: int) -> list[dict[str, Any]]:
        return self.alerts(site, f"run:{run_id}")

    def add_note(self, site: str, day: str, checked_by: str, note: str) -> None:
        self.db.execute("INSERT INTO uptime_notes (site, day, checked_by, note, created) VALUES (?,?,?,?,?)",
                        (site, day, checked_by, note, time.time()))

    def notes(self, site: str, first_day: str, last_day: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM uptime_notes WHERE site=? AND day BETWEEN ? AND ? ORDER BY id",
                               (site, first_day, last_day)).fetchall()
        return [dict(r) for r in rows]

    def add_manual_check(self, site: str, day: str, at: str, ok: bool, checked_by: str, note: str) -> None:
        """Append a person's check of a day (`at` HH:MM, Taipei); never updates an earlier one."""
        self.db.execute("INSERT INTO uptime_manual (site, day, checked_at, ok, checked_by, note, created) "
                        "VALUES (?,?,?,?,?,?,?)",
                        (site, day, at, int(ok), checked_by, note, time.time()))

    def manual_checks(self, site: str, first_day: str, last_day: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT * FROM uptime_manual WHERE site=? AND day BETWEEN ? AND ? ORDER BY id",
                               (site, first_day, last_day)).fetchall()
        return [{**dict(r), "ok": bool(r["ok"])} for r in rows]


NOT_NULL_DEFAULTS = {"is_html": 0, "truncated": 0}


def _link_row(run_id: int, page_id: int, link: dict[str, Any]) -> tuple[Any, ...]:
    """A link's row: its LINK_COLUMNS in one C call; a link given with only some of them takes None for the rest."""
    try:
        return (run_id, page_id, *LINK_VALUES(link))
    except KeyError:
        return (run_id, page_id, *(link.get(c) for c in LINK_COLUMNS))


JSON_TEXT = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(v, ensure_ascii=False), built once


def _db_value(value: Any, column: str = "") -> Any:
    """A column's stored value: JSON for structures, 0/1 for flags, the default for a missing flag."""
    if value is None:
        return NOT_NULL_DEFAULTS.get(column)
    kind = type(value)
    if kind is str or kind is int or kind is float:
        return value
    if isinstance(value, (dict, list)):
        return JSON_TEXT(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _run_dict(row: sqlite3.Row) -> dict[str, Any]:
    d = dict(row)
    for key in ("config", "versions", "summary", "plan"):
        d[key] = json.loads(d[key]) if d.get(key) else {}
    d["verdict"] = json.loads(d["verdict"]) if d.get("verdict") else None  # None: judged before schema 3
    return d


# -- PostgreSQL ------------------------------------------------------------------------------------
UPSERT_KEYS = {"pages": "run_id, url", "resources": "run_id, url", "meta": "key", "a11y_tests": "run_id, url"}


def is_database_url(location: str | Path) -> bool:
    """Is this store location a PostgreSQL URL rather than an SQLite file?"""
    return str(location).startswith(("postgresql://", "postgres://"))


def redact_database_url(url: str) -> str:
    """The URL without its password (user:***@, ?password=***), for messages."""
    url = redact(url)
    parts = urlsplit(url)
    if parts.password is None or parts.password == "***":
        return url
    netloc = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{netloc[-1]}"))


# The PostgreSQL dialect and its driver, imported only when a store is a database URL (psycopg is a tenth of a
# second that an SQLite audit never needs).
PG_CONNECTION = "siteaudit.core.store_pg:PgConnection"


def pg_errors() -> tuple[type[BaseException], ...]:
    """psycopg's error class once a PostgreSQL store has loaded it; before that no error can be one."""
    driver = sys.modules.get("psycopg")
    return (driver.Error,) if driver is not None else ()


FULL_ERRNOS = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)   # no space, file too large, quota: alike for us
SQLITE_FULL, SQLITE_IOERR = 13, 10


def write_failure(exc: BaseException | None) -> str | None:
    """Why a write failed, when `exc` (or an exception that caused it) is a full disk or the store refusing
    to write: an OSError with ENOSPC, EFBIG or EDQUOT, SQLite's "database or disk is full" or "disk I/O
    error" (how it reports EFBIG), PostgreSQL's insufficient resources (SQLSTATE class 53). Else None."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno in FULL_ERRNOS:
            return f"{exc.strerror}: {exc.filename}" if exc.filename else str(exc.strerror)
        code = getattr(exc, "sqlite_errorcode", None) if isinstance(exc, sqlite3.Error) else None
        if code is not None and code & 0xFF in (SQLITE_FULL, SQLITE_IOERR):
            return f"{exc} (the store)"
        if isinstance(exc, pg_errors()) and (getattr(exc, "sqlstate", None) or "").startswith("53"):
            return f"{' '.join(str(exc).split())} (the store)"
        exc = exc.__cause__ or exc.__context__
    return None

"""A run's evidence as one WACZ file (WACZ 1.1.1): its WARC files, a CDXJ index, pages.jsonl, datapackage.json and
datapackage-digest.json with the SHA-256 of every part; and keeping only the last runs' files (checking one:
`siteaudit.core.waczverify`).

The archive folder of a site holds `run-N.wacz` for each run kept; an incremental run's revisits point into the
WACZ of an earlier run, which its datapackage names (file name and SHA-256).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import zipfile
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from siteaudit import __version__
from siteaudit.core.warc import Earlier

WACZ_VERSION = "1.1.1"
INDEX = "indexes/index.cdxj"
PAGES = "pages/pages.jsonl"
OUTPUT_NAME = "evidence.wacz"      # the run's WACZ in its output folder
RESOURCE_PATH = "/resource/"       # the replay server's address of a record the tool made: /resource/URN
REPLAY_PORT = 8470                 # `siteaudit evidence serve` replays it on 127.0.0.1 here (the report links to it)
RUN_FILE = re.compile(r"^run-(\d+)\.wacz$")
CHUNK = 1024 * 1024


class EvidenceError(ValueError):
    """A WACZ that cannot be read or does not match its own digests: one line naming the file and the problem."""


def archive_folder(configured: str, store_location: str | Path, site: str, out: Path) -> Path:
    """Where a site's run-N.wacz files are kept: evidence.dir, else beside the SQLite store, else (a PostgreSQL
    store has no folder of its own) beside the run's output folder."""
    if configured:
        base = Path(configured).expanduser()
    elif not str(store_location).startswith(("postgresql://", "postgres://")):
        base = Path(store_location).expanduser().parent / "evidence"
    else:
        base = out.resolve().parent / "evidence"
    return base / re.sub(r"[^A-Za-z0-9._-]+", "_", site)


def resource_path(urn: str) -> str:
    """The replay server's address of a record the tool made (an element's screenshot, a rendered page)."""
    return RESOURCE_PATH + quote(urn, safe=":")


def run_wacz(folder: Path, run_id: int) -> Path:
    return folder / f"run-{run_id}.wacz"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_member(archive: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with archive.open(name) as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def parse_index(lines: Iterable[str]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for line in lines:
        key, ts, data = line.rstrip("\n").split(" ", 2)
        yield key, ts, json.loads(data)


def read_index(path: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """The CDXJ entries of a WACZ: (sort key, 14-digit timestamp, fields)."""
    with zipfile.ZipFile(path) as archive:
        text = archive.read(INDEX).decode("utf-8")
    return list(parse_index(text.splitlines()))


def earlier_captures(path: Path) -> dict[str, Earlier]:
    """URL -> the capture an identical answer in a later run refers to: the response itself, or for a revisit the
    response it refers to (so chains never grow: every revisit points at a full response)."""
    if not path.is_file():
        return {}
    out: dict[str, Earlier] = {}
    for _, _, e in read_index(path):
        refers = e.get("refers")
        if refers:
            out[e["url"]] = Earlier(e["url"], refers["date"], refers.get("id", ""), e["digest"], refers["wacz"],
                                    refers["filename"], refers["offset"], refers["length"], int(refers["status"]))
        elif e.get("mime") != "warc/metadata" and e.get("digest") and not e.get("truncated"):
            out[e["url"]] = Earlier(e["url"], e["date"], e["id"], e["digest"], path.name, e["filename"],
                                    e["offset"], e["length"], int(e["status"]))
    return out


def staged_parts(staging: Path) -> tuple[list[Path], list[str], dict[str, Any]]:
    """The WARC files, sorted CDXJ lines and summed summaries the crawl processes left in `staging`. A file its
    process did not close (killed) is cut back to the last batch it noted as whole."""
    warcs = []
    lines: list[str] = []
    total: dict[str, Any] = {"records": 0, "revisits": 0, "failures": 0, "bytes": 0, "dropped": 0, "cut_at": None,
                             "references": set(), "unfinished": []}
    for warc in sorted(staging.glob("*.warc.gz")):
        stem = warc.name.removesuffix(".warc.gz")
        summary_file = staging / f"{stem}.json"
        summary = json.loads(summary_file.read_text(encoding="utf-8")) if summary_file.is_file() else {}
        committed = summary.get("committed", 0)
        if summary.get("closed") and summary.get("records", 0) <= 1:  # its warcinfo alone: nothing was fetched
            continue
        if not summary.get("closed"):
            total["unfinished"].append(warc.name)
            if not committed:
                continue
            os.truncate(warc, committed)
        index = staging / f"{stem}.cdxj"
        if index.is_file():
            kept = index.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
            lines += [line for line in kept if line.endswith("\n")
                      and json.loads(line.split(" ", 2)[2])["offset"] < committed]
        warcs.append(warc)
        for key in ("records", "revisits", "failures", "bytes", "dropped"):
            total[key] += summary.get(key, 0)
        if summary.get("cut_at") and (total["cut_at"] is None or summary["cut_at"] < total["cut_at"]):
            total["cut_at"] = summary["cut_at"]
        total["references"] |= set(summary.get("references", []))
    lines.sort()
    return warcs, lines, total


def package(staging: Path, target: Path, pages: list[dict[str, Any]], about: dict[str, Any]) -> dict[str, Any]:
    """Write the WACZ of the WARC files in `staging` to `target` (atomically); returns what the run reports of it:
    its SHA-256, size, record counts, the earlier WACZs it refers to and whether a cap cut it short."""
    warcs, lines, total = staged_parts(staging)
    references = []
    for name in sorted(total.pop("references")):
        earlier = target.parent / name
        references.append({"path": name, "sha256": sha256_file(earlier) if earlier.is_file() else None})
    first = {}
    for _, _ts, e in parse_index(lines):
        first.setdefault(e["url"], e["date"])
    page_lines = [json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "All Pages"})]
    for page in pages:
        if page["url"] in first:
            page_lines.append(json.dumps({"url": page["url"], "ts": first[page["url"]],
                                          "title": page.get("title") or ""}, ensure_ascii=False))
    parts: list[tuple[str, bytes | Path]] = [(f"archive/{w.name}", w) for w in warcs]
    parts += [(INDEX, "".join(lines).encode("utf-8")), (PAGES, ("\n".join(page_lines) + "\n").encode("utf-8"))]
    complete = not total["dropped"] and not total["unfinished"]
    ours = {**about, **{k: v for k, v in total.items() if k != "bytes"}, "warc_bytes": total["bytes"],
            "complete": complete, "references": references, "archive": str(target.parent.resolve())}
    temp = target.with_name(target.name + ".part")
    target.parent.mkdir(parents=True, exist_ok=True)
    resources = []
    with zipfile.ZipFile(temp, "w") as archive:
        for name, data in parts:
            digest = hashlib.sha256()
            if isinstance(data, Path):
                with open(data, "rb") as source, archive.open(zipfile.ZipInfo(name, fixed_time()), "w") as sink:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        sink.write(chunk)
                size = data.stat().st_size
            else:
                digest.update(data)
                size = len(data)
                archive.writestr(zipfile.ZipInfo(name, fixed_time()), data, compress_type=zipfile.ZIP_DEFLATED)
            resources.append({"name": Path(name).name, "path": name, "hash": f"sha256:{digest.hexdigest()}",
                              "bytes": size})
        main = next((json.loads(x) for x in page_lines[1:2]), None)
        datapackage = {"profile": "data-package", "resources": resources, "wacz_version": WACZ_VERSION,
                       "software": f"siteaudit {__version__}", "created": datetime.now(UTC).isoformat(),
                       "title": about.get("title", ""), "siteaudit": ours}
        if main:
            datapackage.update(mainPageUrl=main["url"], mainPageDate=main["ts"])
        raw = json.dumps(datapackage, ensure_ascii=False, indent=1).encode("utf-8")
        archive.writestr(zipfile.ZipInfo("datapackage.json", fixed_time()), raw, compress_type=zipfile.ZIP_DEFLATED)
        digest_doc = {"path": "datapackage.json", "hash": f"sha256:{hashlib.sha256(raw).hexdigest()}"}
        archive.writestr(zipfile.ZipInfo("datapackage-digest.json", fixed_time()), json.dumps(digest_doc),
                         compress_type=zipfile.ZIP_DEFLATED)
    os.replace(temp, target)
    return {**ours, "file": target.name, "sha256": sha256_file(target), "bytes": target.stat().st_size}


def fixed_time() -> tuple[int, int, int, int, int, int]:
    now = datetime.now(UTC)
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)


def place_copy(source: Path, target: Path) -> None:
    """`target` as the same file as `source` (a hard link when the folders share a disk, else a copy)."""
    target.unlink(missing_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def place_output(recorded: dict[str, Any] | None, out: Path) -> Path | None:
    """Put a run's WACZ (as its plan records it) into the output folder as evidence.wacz; None when the run has
    none or it is no longer kept."""
    if not recorded or not recorded.get("file"):
        return None
    source = Path(recorded["archive"]) / recorded["file"]
    if not source.is_file():
        return None
    target = out / OUTPUT_NAME
    place_copy(source, target)
    return target


def keep_last(folder: Path, keep_runs: int) -> list[Path]:
    """Delete the WACZs of all but the last `keep_runs` runs, except those a kept run still refers to (and their
    leftover staging folders). Returns what was deleted."""
    runs = sorted((int(m[1]), p) for p in folder.glob("run-*.wacz") if (m := RUN_FILE.match(p.name)))
    kept = {p.name for _, p in runs[-keep_runs:]} if keep_runs else {p.name for _, p in runs}
    todo = list(kept)
    while todo:
        name = todo.pop()
        try:
            refs = datapackage_of(folder / name).get("siteaudit", {}).get("references", [])
        except EvidenceError:
            continue
        for ref in refs:
            if ref["path"] not in kept:
                kept.add(ref["path"])
                todo.append(ref["path"])
    deleted = []
    for _, path in runs:
        if path.name not in kept:
            path.unlink(missing_ok=True)
            shutil.rmtree(folder / path.name.removesuffix(".wacz"), ignore_errors=True)
            deleted.append(path)
    return deleted


def datapackage_of(path: Path) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read("datapackage.json"))
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise EvidenceError(f"{path}: not a readable WACZ ({exc})")


def find_wacz(name: str, folders: list[Path]) -> Path | None:
    for folder in folders:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None

"""Checking a run's WACZ: the digest of its datapackage, the SHA-256 of every part, warcio's record digests, and
the earlier WACZs its revisits refer to (present, unchanged, and holding each record referred to)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
import zlib
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from siteaudit.core.wacz import CHUNK, INDEX, find_wacz, parse_index, read_index, sha256_file, sha256_member


def verify(path: Path, folders: list[Path] | None = None, seen: set[Path] | None = None) -> list[str]:
    """Every problem of the WACZ at `path` and of the earlier WACZs its revisits refer to, one line each: digests
    of the datapackage and every part, warcio's record digests, and each revisit's target. Empty when sound."""
    seen = seen if seen is not None else set()
    if path.resolve() in seen:
        return []
    seen.add(path.resolve())
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return [f"{path}: not a readable WACZ ({exc})"]
    problems: list[str] = []
    with archive:
        try:
            raw = archive.read("datapackage.json")
            digest = json.loads(archive.read("datapackage-digest.json"))
            datapackage = json.loads(raw)
        except (KeyError, ValueError, zipfile.BadZipFile, OSError) as exc:
            return [f"{path}: datapackage.json or its digest cannot be read ({exc})"]
        if digest.get("hash") != f"sha256:{hashlib.sha256(raw).hexdigest()}":
            problems.append(f"{path}: datapackage.json does not match datapackage-digest.json")
        listed = {r["path"]: r for r in datapackage.get("resources", [])}
        for name, resource in listed.items():
            try:
                actual, size = sha256_member(archive, name)
            except KeyError:
                problems.append(f"{path}: {name} is listed in datapackage.json but missing")
                continue
            except (zipfile.BadZipFile, OSError, zlib.error) as exc:
                problems.append(f"{path}: {name} cannot be read ({exc})")
                continue
            if resource.get("hash") != f"sha256:{actual}" or resource.get("bytes") != size:
                problems.append(f"{path}: {name} does not match its SHA-256 in datapackage.json")
        for name in archive.namelist():
            if name not in listed and name not in ("datapackage.json", "datapackage-digest.json"):
                problems.append(f"{path}: {name} is not listed in datapackage.json")
        if problems:
            return problems
        problems += record_digest_problems(path, archive, [n for n in listed if n.startswith("archive/")])
        index = list(parse_index(archive.read(INDEX).decode("utf-8").splitlines())) if INDEX in listed else []
    ours = datapackage.get("siteaudit", {})
    search = [path.parent, *([Path(ours["archive"])] if ours.get("archive") else []), *(folders or [])]
    refs = {r["path"]: r for r in ours.get("references", [])}
    targets: dict[str, dict[tuple[str, int], str]] = {}
    for ref in refs.values():
        earlier = find_wacz(ref["path"], search)
        if earlier is None:
            problems.append(f"{path}: refers to {ref['path']}, which is not in {', '.join(map(str, search))}")
            continue
        if ref.get("sha256") != sha256_file(earlier):
            problems.append(f"{path}: {earlier} does not match the SHA-256 this WACZ recorded for it")
            continue
        nested = verify(earlier, folders, seen)
        problems += nested
        if not nested:
            targets[ref["path"]] = {(e["filename"], e["offset"]): e.get("digest", "")
                                    for _, _, e in read_index(earlier)}
    for _, _, e in index:
        refers = e.get("refers")
        if not refers:
            continue
        if refers["wacz"] not in refs:
            problems.append(f"{path}: a revisit of {e['url']} refers to {refers['wacz']}, which datapackage.json "
                            "does not name")
        elif refers["wacz"] in targets and \
                targets[refers["wacz"]].get((refers["filename"], refers["offset"])) != e.get("digest"):
            problems.append(f"{path}: a revisit of {e['url']} refers to no matching capture in {refers['wacz']}")
    return problems


def record_digest_problems(path: Path, archive: zipfile.ZipFile, names: list[str]) -> list[str]:
    """warcio's own check: each record's block and payload digests."""
    problems = []
    for name in names:
        try:
            with archive.open(name) as handle:
                stream = io.BufferedReader(handle, CHUNK)
                records = ArchiveIterator(stream, check_digests=True)
                for record in records:
                    record.content_stream().read()
                    if record.digest_checker.passed is False:
                        problems.append(f"{path}: {name}: record {record.rec_headers.get_header('WARC-Record-ID')} "
                                        f"fails its digest ({'; '.join(map(str, record.digest_checker.problems))})")
        except (ArchiveLoadFailed, OSError, zipfile.BadZipFile, EOFError, ValueError, zlib.error) as exc:
            problems.append(f"{path}: {name} cannot be read as WARC ({exc})")
    return problems

"""The layer contract: imports only go down, siblings in a layer stay apart, and no import hides in a function.

A module named "package.module:attribute" for siteaudit.core.lazy to import on first use counts as an import of
that module: it too must go down the layers, and must name an attribute the module has.

Layers, top to bottom (README "How it is built"). A module may import its own group and any lower layer.
"""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from conftest import ROOT

LAYERS: list[list[tuple[str, ...]]] = [
    [("siteaudit.cli", "siteaudit.__main__", "siteaudit.commands")],
    [("siteaudit.demo",), ("siteaudit.fleet",), ("siteaudit.evidence_commands", "siteaudit.evidence_parsers")],
    [("siteaudit.audit", "siteaudit.runevidence", "siteaudit.runshots")],
    [("siteaudit.reports",), ("siteaudit.schedules",)],
    [("siteaudit.verdict",)],
    [("siteaudit.crawler",), ("siteaudit.checks",)],
    [("siteaudit.core", "siteaudit.config_template", "siteaudit")],
]


def installed_sources() -> dict[str, str]:
    """Every module of the installed namespace and its source, found through pyproject's package-dir."""
    mapping = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-dir"]
    sources = {}
    for package, folder in mapping.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            name = ".".join([package, *parts])
            if any(name.startswith(other + ".") or name == other for other in mapping if other != package
                   and other.startswith(package + ".")):
                continue  # a sub-package mapped to its own folder is read from there
            sources[name] = path.read_text(encoding="utf-8")
    return sources


def place(module: str) -> tuple[int, int]:
    """(layer, group) of a module: the longest listed prefix wins."""
    best: tuple[int, int, int] | None = None
    for depth, layer in enumerate(LAYERS):
        for group_index, group in enumerate(layer):
            for prefix in group:
                if (module == prefix or module.startswith(prefix + ".")) and (best is None or len(prefix) > best[2]):
                    best = (depth, group_index, len(prefix))
    assert best is not None, f"{module} is in no layer"
    return best[0], best[1]


LAZY_NAME = re.compile(r"(siteaudit(?:\.\w+)+):(\w+)")


def lazy_names(tree: ast.Module) -> list[tuple[str, str, int]]:
    """(module, attribute, line) of every "siteaudit.module:attribute" string: a name siteaudit.core.lazy loads."""
    return [(m.group(1), m.group(2), node.lineno) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and (m := LAZY_NAME.fullmatch(node.value))]


def imported(tree: ast.Module, modules: set[str]) -> list[tuple[str, int, bool]]:
    """(module, line, inside a function) for every import of the namespace, and for every lazily loaded name."""
    out = [(module, line, False) for module, _, line in lazy_names(tree)]

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0 \
                    and child.module.split(".")[0] == "siteaudit":
                for alias in child.names:
                    target = f"{child.module}.{alias.name}"
                    out.append((target if target in modules else child.module, child.lineno, inner))
            elif isinstance(child, ast.Import):
                out.extend((a.name, child.lineno, inner) for a in child.names if a.name.split(".")[0] == "siteaudit")
            visit(child, inner)

    visit(tree, False)
    return out


def violations(sources: dict[str, str]) -> list[str]:
    found = []
    for module, source in sources.items():
        here = place(module)
        for target, line, nested in imported(ast.parse(source), set(sources)):
            there = place(target)
            if nested:
                found.append(f"{module}:{line} imports {target} inside a function")
            if there[0] < here[0]:
                found.append(f"{module}:{line} imports {target}, a higher layer")
            elif there[0] == here[0] and there[1] != here[1]:
                found.append(f"{module}:{line} imports {target}, an independent sibling")
    return found


def test_imports_only_go_down_the_layers():
    sources = installed_sources()
    assert "siteaudit.crawler.spiders.site" in sources and "siteaudit.checks.links" in sources
    assert violations(sources) == []


def test_the_contract_catches_an_upward_a_sideways_and_a_hidden_import():
    sources = installed_sources()
    sources["siteaudit.core.dates"] += "\nfrom siteaudit.audit import audit\n"
    sources["siteaudit.crawler.extract"] += "\nfrom siteaudit.checks.links import CHECK\n"
    sources["siteaudit.reports.export"] += "\ndef f():\n    from siteaudit.core.dates import TAIPEI\n"
    found = violations(sources)
    assert any(v.startswith("siteaudit.core.dates:") and "higher layer" in v for v in found)
    assert any(v.startswith("siteaudit.crawler.extract:") and "independent sibling" in v for v in found)
    assert any(v.startswith("siteaudit.reports.export:") and "inside a function" in v for v in found)
    assert len(found) == 3


def test_every_lazily_loaded_name_is_a_module_of_the_namespace_with_that_attribute():
    sources = installed_sources()
    named = [(module, attribute, where) for where, source in sources.items()
             for module, attribute, _ in lazy_names(ast.parse(source))]
    assert any(where == "siteaudit.cli" for _, _, where in named)  # the CLI's commands are loaded this way
    missing = [f"{where}: {module}:{attribute}" for module, attribute, where in named
               if module not in sources or not hasattr(importlib.import_module(module), attribute)]
    assert missing == []


def test_the_contract_catches_a_lazily_loaded_name_of_a_higher_layer():
    sources = installed_sources()
    sources["siteaudit.core.store"] += '\nDIALECT = "siteaudit.audit:audit"\n'
    found = violations(sources)
    assert found == [f"siteaudit.core.store:{len(sources['siteaudit.core.store'].splitlines())} imports "
                     "siteaudit.audit, a higher layer"]


# Not needed to crawl and check links: the fleet (Celery, Redis), PostgreSQL, the browser, PDF and ODF tools.
NOT_FOR_A_LINK_AUDIT = ("celery", "kombu", "redis", "psycopg", "selenium", "pypdf", "odf")


def loaded_modules(*args: str) -> set[str]:
    """Top-level packages a `siteaudit` process imported, read from its -X importtime trace."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "siteaudit", *args], capture_output=True,
                          text=True, timeout=120)
    return {line.rsplit("|", 1)[1].strip().split(".")[0] for line in done.stderr.splitlines()
            if line.startswith("import time:") and line.count("|") == 2}


def test_help_imports_no_fleet_database_browser_pdf_or_odf_module():
    loaded = loaded_modules("audit", "--help")
    assert "siteaudit" in loaded and "argparse" in loaded  # the trace was read
    assert sorted(loaded & {*NOT_FOR_A_LINK_AUDIT, "scrapy", "twisted"}) == []


def test_a_links_only_audit_imports_no_fleet_database_browser_pdf_or_odf_module(demo_site, tmp_path):
    loaded = loaded_modules("audit", demo_site[0].base + "/", "--checks", "links", "--max-pages", "3", "--format",
                            "json", "--out", str(tmp_path / "out"), "--store", str(tmp_path / "store.sqlite3"))
    assert "scrapy" in loaded  # it crawled
    assert sorted(loaded & set(NOT_FOR_A_LINK_AUDIT)) == []
    assert (tmp_path / "out" / "findings.json").is_file()


def test_nothing_generic_is_installed_at_top_level():
    import siteaudit.checks
    import siteaudit.crawler

    assert Path(siteaudit.checks.__file__).parent == ROOT / "checks"
    assert Path(siteaudit.crawler.__file__).parent == ROOT / "crawler"
    top = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    assert all(p == "siteaudit" or p.startswith("siteaudit.") for p in top)

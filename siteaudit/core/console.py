"""What siteaudit prints on a terminal: text from a site or a config is shown, never obeyed.

A site name, a page title, a URL or a server's reason can hold terminal escape sequences (ESC [2J clears the
screen, ESC ]0; retitles the window, ESC ]8; makes a forged link), other C0 and C1 control characters
(a carriage return or a newline that overwrites or forges a line), or bidirectional overrides that show a
line's characters in another order than they are. Every console line that can carry such text goes through
`echo` (or `safe`): each of those characters becomes a visible escape, `\\x1b`, `\\r`, `\\u202e`.
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

# C0 controls (tab and newline included: a field never spans columns or lines), DEL, C1 controls, and the
# characters that reorder or isolate text (Unicode bidi controls) or break lines.
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(match.group()) or \
        (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def safe(text: object) -> str:
    """`text` as a terminal may show it: every control, line-breaking or bidi character as a visible escape."""
    return UNSAFE.sub(_escape, str(text))


def echo(line: object, file: TextIO | None = None, flush: bool = False) -> None:
    """Print one line whose content may come from a site or a config, neutralised (see `safe`)."""
    print(safe(line), file=file or sys.stdout, flush=flush)

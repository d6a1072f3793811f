"""Barriers that established accessibility checkers report and axe-core does not: data tables, link text, media,
text, forms and markup. Rules as data (criterion, level, zh-TW and English wording; their 檢測碼 are in
checks/data/moda-codes.json), the in-page probe that finds them, and the reading of the parser's error log for
start and end tags that do not match. Rules, codes and limits: docs/checks/accessibility.md.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from lxml import etree

from siteaudit.checks.base import Finding

SNIPPET = 200              # characters of an element's HTML (or a source line) kept as evidence
MAX_NODES = 200            # nodes one page may report across these rules
MAX_SOURCE = 2_000_000     # characters of a page's HTML source parsed for the markup rule
SOURCE_BYTES = 4_000_000   # bytes of it read again in the page (a second GET, no-store)
SOURCE_SECONDS = 5         # for at most this long
MAX_MARKUP_ERRORS = 50     # parser errors kept per page
GIF_BYTES = 1_000_000      # a GIF is read up to this many bytes to count its frames
GIF_SECONDS = 5            # all of a page's GIFs are read at once, for at most this long
MAX_GIFS = 10              # GIFs read per page
SMALL_TEXT_PX = 12         # 9 pt = 12 CSS px


class PeerRule(NamedTuple):
    """A rule of this module: id, WCAG criterion ("" for best practice), level, zh-TW, English, per_page."""
    id: str
    sc: str
    level: str
    zh: str
    en: str
    per_page: bool = False


PEER_RULES = (
    # data tables
    PeerRule("table-no-caption", "1.3.1", "A", "資料表格沒有 <caption> 也沒有 summary 說明表格概要",
             "Data table with neither a <caption> nor a summary"),
    PeerRule("table-complex-no-scope", "1.3.1", "A",
             "複雜表格（合併或多層標題）的標題儲存格未以 scope 或 id／headers 關聯資料儲存格",
             "Header cell of a complex table (spanning or layered headers) with neither scope nor id/headers"),
    PeerRule("table-only-th", "1.3.1", "A", "表格只有標題儲存格 <th>，沒有資料儲存格",
             "Table made only of header cells, with no data cells"),
    PeerRule("layout-table-data-markup", "1.3.1", "A",
             "排版表格（role=presentation／none）仍使用 th、caption 或 summary 等資料表格標記",
             "Layout table (role=presentation/none) that still carries th, caption or summary"),
    PeerRule("table-nested", "1.3.1", "A", "表格內又套疊表格", "Table nested inside another table"),
    # link text
    PeerRule("link-text-punctuation", "2.4.4", "A", "連結文字只有標點或符號（如 >>、…），無法說明連結目的",
             "Link text made only of punctuation or symbols (>>, …)"),
    PeerRule("link-title-same-as-text", "2.4.4", "A", "連結的 title 與連結文字相同，未補充任何說明",
             "Link title repeats the link text and adds nothing"),
    PeerRule("link-adjacent-same-target", "2.4.4", "A", "相鄰的兩個連結指向同一目標（如圖片連結與文字連結），未合併為一個",
             "Two adjacent links to the same target (an image link and a text link) not merged into one"),
    PeerRule("link-same-text-other-target", "2.4.4", "A", "同一頁中相同文字的連結指向不同目標",
             "Links with the same text going to different targets on one page", per_page=True),
    # media
    PeerRule("audio-link-no-transcript", "1.2.1", "A", "連結至音訊檔，附近沒有逐字稿或文字版連結",
             "Link to an audio file with no transcript near it"),
    PeerRule("video-link-no-transcript", "1.2.3", "A", "連結至影片檔，附近沒有逐字稿、文字版或口述影像說明",
             "Link to a video file with no transcript or description near it"),
    PeerRule("audio-no-text-alternative", "1.2.1", "A", "<audio> 沒有逐字稿或文字替代內容",
             "<audio> with no transcript or text alternative"),
    PeerRule("video-no-captions", "1.2.2", "A", "<video> 沒有字幕軌（<track kind=captions／subtitles>）",
             "<video> with no caption track (<track kind=captions/subtitles>)"),
    PeerRule("animated-gif", "2.2.2", "A", "GIF 動畫持續超過 5 秒（或無限循環），無法暫停或停止",
             "Animated GIF that plays longer than 5 seconds (or loops forever) and cannot be paused"),
    # text
    PeerRule("text-too-small", "", "best-practice", "文字的字級小於 9pt（12 CSS 像素）",
             "Text smaller than 9 pt (12 CSS px)", per_page=True),
    PeerRule("text-justified", "1.4.8", "AAA", "段落文字左右對齊（text-align: justify），字距不均難以閱讀",
             "Justified paragraph text (text-align: justify)", per_page=True),
    # forms
    PeerRule("label-duplicate-text", "2.4.6", "AA", "同一表單中兩個欄位的標籤文字相同，無法區分",
             "Two fields of one form with the same label text"),
    PeerRule("image-button-vague-alt", "1.1.1", "A", "圖片按鈕的替代文字無法說明按鈕功能（如「圖片」、「button」或檔名）",
             "Image button whose alt text does not say what it does (image, button, a file name)"),
    # markup
    PeerRule("markup-tag-mismatch", "", "best-practice", "HTML 開始與結束標籤不相符（解析器錯誤）",
             "Start and end tags that do not match (parser errors)", per_page=True),
)
PEER_IDS = frozenset(r.id for r in PEER_RULES)
# zh-TW names of the criteria these rules bring that axe-core's table lacks.
PEER_SC_NAMES = {"1.2.3": "音訊描述或媒體替代(預錄)", "1.4.8": "視覺呈現", "2.4.6": "標題及標籤"}

# What the probe looks for, handed to it as JSON.
PEER_WORDS = {
    "transcript": ["逐字稿", "文字稿", "文字版", "講稿", "字幕", "口述影像", "文字說明", "內容摘要", "transcript", "captions",
                   "text version", "audio description"],
    "audio_ext": ["mp3", "wav", "m4a", "aac", "oga", "ogg", "wma", "flac", "opus", "mid", "midi"],
    "video_ext": ["mp4", "m4v", "webm", "mov", "avi", "wmv", "flv", "mpg", "mpeg", "ogv", "3gp", "mkv"],
    "vague_alt": ["image", "img", "picture", "pic", "photo", "icon", "graphic", "button", "btn", "spacer", "blank",
                  "untitled", "alt", "圖", "圖片", "圖示", "影像", "圖形", "照片", "按鈕", "按鈕圖片", "未命名", "*", "-", "_"],
    "image_ext": ["jpg", "jpeg", "png", "gif", "svg", "webp", "bmp"],
}

# Runs in the same isolated world as axe-core and the DOM probe (checks/browser.py), after them; resolves with
# {nodes: [{rule, target, html, detail}] in the shape of the DOM probe's own nodes, source: the page's HTML}.
# The source is fetched again from the page (DevTools' Page.getResourceContent would revalidate every stylesheet
# of the page with conditional requests).
PEER_PROBE = r"""
(async function (words, opts, pending) {
  function unique(sel) { try { return document.querySelectorAll(sel).length === 1; } catch (e) { return false; } }
  function path(el) {
    var parts = [];
    while (el && el.nodeType === 1 && el !== document.documentElement) {
      if (el.id && unique('#' + CSS.escape(el.id))) { parts.unshift('#' + CSS.escape(el.id)); break; }
      var tag = el.localName, parent = el.parentElement;
      if (parent) {
        var same = Array.prototype.filter.call(parent.children, function (c) { return c.localName === el.localName; });
        if (same.length > 1) tag += ':nth-of-type(' + (same.indexOf(el) + 1) + ')';
      }
      parts.unshift(tag);
      el = parent;
    }
    return parts.join(' > ');
  }
  var out = [];
  function add(rule, el, detail) {
    if (out.length >= opts.max_nodes) return;
    out.push({rule: rule, target: path(el), html: (el.outerHTML || '').slice(0, opts.snippet),
              detail: String(detail || '').slice(0, opts.snippet)});
  }
  function squash(s) { return (s || '').replace(/\s+/g, ' ').trim(); }
  function text(el) { return squash(el.textContent); }
  function attr(el, name) { return squash(el.getAttribute(name)); }
  function shown(el) {
    if (!el.getClientRects().length) return false;
    var st = getComputedStyle(el);
    return st.visibility !== 'hidden' && st.display !== 'none';
  }
  function each(sel, fn, root) { Array.prototype.forEach.call((root || document).querySelectorAll(sel), fn); }
  function layout(t) { var r = attr(t, 'role').toLowerCase(); return r === 'presentation' || r === 'none'; }
  // A link's name as a screen reader forms it: aria-label, else its text and the alt of its images.
  function linkText(a) {
    var alts = Array.prototype.map.call(a.querySelectorAll('img[alt]'), function (i) { return i.alt; }).join(' ');
    return squash(text(a) + ' ' + alts);
  }
  function named(a) { return attr(a, 'aria-label') || attr(a, 'aria-labelledby'); }
  function accesskeyAnchor(a) { return /^\s*:::/.test(a.textContent || '') || a.hasAttribute('accesskey'); }
  function target(a) { var h = a.href || ''; var i = h.indexOf('#'); return i >= 0 ? h.slice(0, i) : h; }
  function ext(url) {
    var p = (url || '').split(/[?#]/)[0].toLowerCase(), dot = p.lastIndexOf('.');
    return dot > p.lastIndexOf('/') ? p.slice(dot + 1) : '';
  }
  var transcript = new RegExp(words.transcript.map(function (w) {
    return w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }).join('|'), 'i');
  function nearTranscript(el) {
    var box = el.closest('li, p, td, dd, figure, article, section, tr') || el.parentElement;
    for (var n = 0; box && n < 2; n++, box = box.parentElement) {
      if (transcript.test(box.textContent || '')) return true;
    }
    var described = attr(el, 'aria-describedby');
    return !!(described && described.split(' ').some(function (id) {
      var d = document.getElementById(id); return d && text(d);
    }));
  }

  // -- data tables
  each('table', function (t) {
    var cells = t.querySelectorAll('th, td');
    var own = Array.prototype.filter.call(cells, function (c) { return c.closest('table') === t; });
    var ths = own.filter(function (c) { return c.localName === 'th'; });
    if (t.parentElement && t.parentElement.closest('table')) add('table-nested', t);
    if (layout(t)) {
      var markup = [];
      if (ths.length) markup.push('th');
      var cap = t.querySelector(':scope > caption');
      if (cap) markup.push('caption');
      if (attr(t, 'summary')) markup.push('summary');
      if (markup.length) add('layout-table-data-markup', t, markup.join(', '));
      return;
    }
    if (!ths.length) return;
    if (own.length >= 2 && ths.length === own.length) { add('table-only-th', t); return; }
    var caption = t.querySelector(':scope > caption');
    if (t.rows.length >= 2 && !(caption && text(caption)) && !attr(t, 'summary') && !named(t))
      add('table-no-caption', t);
    // Complex: a header cell spanning rows or columns, or two or more rows of header cells (layered headers).
    var headerRows = Array.prototype.filter.call(t.rows, function (r) {
      return Array.prototype.every.call(r.cells, function (c) { return c.localName === 'th'; }) && r.cells.length > 1;
    });
    var referenced = {};
    own.forEach(function (c) { attr(c, 'headers').split(' ').forEach(function (id) { if (id) referenced[id] = true; }); });
    var loose = ths.filter(function (th) {
      if (attr(th, 'scope') || (th.id && referenced[th.id])) return false;
      return th.colSpan > 1 || th.rowSpan > 1 || (headerRows.length >= 2 && headerRows.indexOf(th.parentElement) >= 0);
    });
    if (loose.length) add('table-complex-no-scope', loose[0], loose.length + ' th');
  });

  // -- link text
  var links = Array.prototype.filter.call(document.querySelectorAll('a[href]'), function (a) {
    return shown(a) && !accesskeyAnchor(a);
  });
  var byText = {};
  links.forEach(function (a, i) {
    var said = linkText(a), title = attr(a, 'title');
    if (said && !named(a) && !title && /^[\p{P}\p{S}\s]+$/u.test(said) && said.indexOf('\uFFFD') < 0)
      add('link-text-punctuation', a, said);
    if (said && title && said.toLowerCase() === title.toLowerCase()) add('link-title-same-as-text', a, title);
    var next = links[i + 1];
    if (next && /^https?:/i.test(a.href) && target(a) === target(next) && a.getAttribute('href').trim().charAt(0) !== '#'
        && !a.contains(next)) {
      var between = document.createRange();
      between.setStartAfter(a);
      between.setEndBefore(next);
      // the same block, or an image-only link beside a text link (HM1240402E), as a reader meets them
      var imageOnly = !text(a) !== !text(next);
      if (!squash(between.toString()) && (a.parentElement === next.parentElement || imageOnly))
        add('link-adjacent-same-target', a, target(a));
    }
    if (said && /[\p{L}\p{N}]/u.test(said) && target(a) && !/^(javascript|mailto|tel):/i.test(a.href)) {
      var key = (said + '|' + (named(a) || '') + '|' + title).toLowerCase();
      (byText[key] = byText[key] || []).push(a);
    }
  });
  var vague = (opts.vague_links || []).map(function (w) { return w.toLowerCase(); });
  Object.keys(byText).forEach(function (key) {
    var group = byText[key], targets = {};
    group.forEach(function (a) { targets[target(a)] = true; });
    var n = Object.keys(targets).length, first = group[0];
    var isVague = vague.indexOf(text(first).toLowerCase().replace(/[\s.…>»＞。]+$/, '')) >= 0
                  && !attr(first, 'title') && !named(first);
    if (n > 1 && !isVague) add('link-same-text-other-target', first, linkText(first) + ' → ' + n);
  });

  // -- media
  each('a[href]', function (a) {
    var e = ext(a.href);
    var kind = words.audio_ext.indexOf(e) >= 0 ? 'audio' : words.video_ext.indexOf(e) >= 0 ? 'video' : '';
    if (kind && !nearTranscript(a)) add(kind + '-link-no-transcript', a, e);
  });
  each('audio', function (m) { if (!nearTranscript(m)) add('audio-no-text-alternative', m); });
  each('video', function (v) {
    if (v.hasAttribute('muted') || v.muted) return;
    var tracks = Array.prototype.some.call(v.querySelectorAll('track'), function (t) {
      var k = (t.getAttribute('kind') || 'subtitles').toLowerCase();
      return k === 'captions' || k === 'subtitles';
    });
    if (!tracks) add('video-no-captions', v);
  });

  // -- text
  var smallSeen = 0, justifiedSeen = 0;
  var walker = document.createTreeWalker(document.body || document.documentElement, NodeFilter.SHOW_TEXT);
  var done = new Set();
  for (var node = walker.nextNode(); node; node = walker.nextNode()) {
    var el = node.parentElement;
    if (!el || done.has(el) || !/\S/.test(node.nodeValue)) continue;
    if (['script', 'style', 'noscript', 'template', 'option'].indexOf(el.localName) >= 0) continue;
    done.add(el);
    if (!shown(el)) continue;
    var st = getComputedStyle(el), r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) continue;
    var size = parseFloat(st.fontSize);
    if (size > 0 && size < opts.small_px && smallSeen++ < 50) add('text-too-small', el, size + 'px');
    if (st.textAlign === 'justify' && justifiedSeen < 50) {
      var block = el;
      while (block && getComputedStyle(block).display === 'inline') block = block.parentElement;
      if (block && !done.has('j:' + path(block))) {
        done.add('j:' + path(block));
        var line = parseFloat(st.lineHeight) || size * 1.2;
        if (block.getBoundingClientRect().height >= 2 * line) { justifiedSeen++; add('text-justified', block); }
      }
    }
  }

  // -- forms
  var seenLabels = {};
  each('input, select, textarea', function (el) {
    var type = (el.getAttribute('type') || '').toLowerCase();
    if (['hidden', 'submit', 'button', 'reset', 'image', 'radio', 'checkbox'].indexOf(type) >= 0) return;
    if (!el.form || !shown(el)) return;
    var label = Array.prototype.map.call(el.labels || [], text).join(' ');
    if (!label) return;
    var fs = el.closest('fieldset'), legend = fs && fs.querySelector(':scope > legend');
    var key = path(el.form) + '|' + (legend ? text(legend) : '') + '|' + label.toLowerCase();
    if (seenLabels[key]) add('label-duplicate-text', el, label); else seenLabels[key] = true;
  });
  var vagueAlt = words.vague_alt.map(function (w) { return w.toLowerCase(); });
  var fileName = new RegExp('^[^\\s/\\\\]+\\.(' + words.image_ext.join('|') + ')$', 'i');
  function vagueAltText(alt) { var a = squash(alt).toLowerCase(); return !!a && (vagueAlt.indexOf(a) >= 0 || fileName.test(a)); }
  each('input[type=image]', function (b) { if (vagueAltText(b.getAttribute('alt'))) add('image-button-vague-alt', b, b.alt); });
  each('button', function (b) {
    var imgs = b.querySelectorAll('img');
    if (imgs.length === 1 && !text(b) && !named(b) && !attr(b, 'title') && vagueAltText(imgs[0].getAttribute('alt')))
      add('image-button-vague-alt', b, imgs[0].alt);
  });

  // -- animated GIFs, read from the same origin (a cross-origin image is not judged)
  function animation(bytes) {
    var b = bytes, p = 13, frames = 0, delay = 0, loops = 1;
    if (b.length < 13 || String.fromCharCode(b[0], b[1], b[2]) !== 'GIF') return null;
    if (b[10] & 0x80) p += 3 * (1 << ((b[10] & 7) + 1));
    function skipBlocks() { while (p < b.length && b[p] !== 0) p += b[p] + 1; p++; }
    while (p < b.length) {
      var c = b[p];
      if (c === 0x3B) break;
      if (c === 0x21) {
        var label = b[p + 1];
        if (label === 0xF9 && b[p + 2] === 4) { var d = b[p + 4] | (b[p + 5] << 8); delay += d < 2 ? 10 : d; }
        if (label === 0xFF && String.fromCharCode.apply(null, b.slice(p + 3, p + 14)) === 'NETSCAPE2.0'
            && b[p + 14] === 3 && b[p + 15] === 1) {
          var n = b[p + 16] | (b[p + 17] << 8); loops = n === 0 ? Infinity : n + 1;
        }
        p += 2; skipBlocks();
      } else if (c === 0x2C) {
        frames++;
        var packed = b[p + 9];
        p += 10;
        if (packed & 0x80) p += 3 * (1 << ((packed & 7) + 1));
        p++; skipBlocks();
      } else break;
    }
    return {frames: frames, seconds: frames > 1 ? delay / 100 * loops : 0};
  }
  function limited(seconds) {
    var stop = new AbortController();
    stop.timer = setTimeout(function () { stop.abort(); }, seconds * 1000);
    return stop;
  }
  var gifStop = limited(opts.gif_seconds);
  var gifs = Array.prototype.filter.call(document.images, function (img) {
    var src = img.currentSrc || img.src || '';
    return /\.gif($|[?#])/i.test(src) && src.indexOf(location.origin + '/') === 0 && shown(img);
  }).slice(0, opts.max_gifs);
  var read_all = await Promise.all(gifs.map(function (img) { return readCapped(img.currentSrc || img.src, opts.gif_bytes, gifStop); }));
  clearTimeout(gifStop.timer);
  read_all.forEach(function (bytes, g) {
    var anim = bytes && animation(bytes);
    if (anim && anim.frames > 1 && anim.seconds > 5)
      add('animated-gif', gifs[g], anim.frames + ' frames, ' + (anim.seconds === Infinity ? 'loops' : anim.seconds + ' s'));
  });
  // -- the page's HTML source, read again as the server sends it, for the parser (checks/a11y_peer_rules.py):
  // its GET went out before axe ran (sourceStart); it has opts.source_seconds more from here
  var source = '';
  if (pending) {
    var sourceTimer = setTimeout(function () { pending.stop.abort(); }, opts.source_seconds * 1000);
    var raw = await pending.bytes;
    clearTimeout(sourceTimer);
    try { source = raw ? new TextDecoder(document.characterSet || 'utf-8').decode(raw) : ''; } catch (e) { source = ''; }
  }
  return {nodes: out, source: source};
})(%s, %s, pending)
"""
# Same-origin reads with a byte cap, aborted by `stop`; no-store: never a conditional request. `sourceStart` sends
# the GET of the page's own source at once, before axe-core runs, so it is answered while axe works; the probe
# above waits for it at the end. Both are defined once per page, beside the probe (checks/browser.py).
READ_SCRIPT = r"""
async function readCapped(url, cap, stop) {
  try {
    var reply = await fetch(url, {signal: stop.signal, credentials: 'same-origin', cache: 'no-store'});
    if (!reply.ok || !reply.body) return null;
    var reader = reply.body.getReader(), chunks = [], got = 0;
    while (got < cap) {
      var part = await reader.read();
      if (part.done) break;
      chunks.push(part.value); got += part.value.length;
    }
    reader.cancel().catch(function () {});
    var all = new Uint8Array(Math.min(got, cap)), at = 0;
    chunks.forEach(function (c) { var s = c.subarray(0, all.length - at); all.set(s, at); at += s.length; });
    return all;
  } catch (e) { return null; }
}
function sourceStart(cap) {
  if (!/^https?:$/.test(location.protocol)) return null;
  var stop = new AbortController();
  return {stop: stop, bytes: readCapped(location.href, cap, stop)};
}
"""


def probe_script(vague_links: list[str]) -> str:
    """The probe with its words and limits filled in."""
    opts = {"max_nodes": MAX_NODES, "snippet": SNIPPET, "small_px": SMALL_TEXT_PX, "gif_bytes": GIF_BYTES,
            "gif_seconds": GIF_SECONDS, "max_gifs": MAX_GIFS, "vague_links": vague_links,
            "source_bytes": SOURCE_BYTES, "source_seconds": SOURCE_SECONDS}
    return PEER_PROBE % (json.dumps(PEER_WORDS, ensure_ascii=False), json.dumps(opts, ensure_ascii=False))


def markup_nodes(source: str) -> list[dict[str, Any]]:
    """Start and end tags that do not match, as libxml2's HTML parser logs them (ERR_TAG_NAME_MISMATCH), each
    with its line and column as the selector and the source line as the snippet."""
    if not source.strip():
        return []
    source = source[:MAX_SOURCE]
    parser = etree.HTMLParser(recover=True, no_network=True, huge_tree=False, encoding="utf-8")  # decoded already
    try:
        etree.fromstring(source.encode("utf-8"), parser)
    except (etree.XMLSyntaxError, ValueError):
        pass
    lines = source.splitlines()
    out: list[dict[str, Any]] = []
    for error in parser.error_log:
        if error.type_name != "ERR_TAG_NAME_MISMATCH":
            continue
        line = lines[error.line - 1].strip() if 0 < error.line <= len(lines) else ""
        out.append({"rule": "markup-tag-mismatch", "target": f"line {error.line}, column {error.column}",
                    "html": line[:SNIPPET], "detail": error.message.strip()[:SNIPPET]})
        if len(out) >= MAX_MARKUP_ERRORS:
            break
    return out


# axe-core's "needs review" notices that a rule of this module decides: the element axe could not judge is
# the element the rule reports, so the notice is dropped where the rule fired on it.
SUPERSEDES = {"video-no-captions": "video-caption", "table-only-th": "th-has-data-cells"}


def settle(check: Any, findings: list[Finding]) -> list[Finding]:
    """The findings with the axe notices these rules decide removed, and a per-page rule's findings that name the
    same elements on several pages (the template's) made one listing those pages. Many elements of one rule on
    the same pages become one row later, as for every rule (checks/a11y_rows.py)."""
    decided: dict[str, set[tuple[str, str]]] = {}
    for f in findings:
        if f.rule in SUPERSEDES:
            for node in f.evidence.get("nodes", []):
                decided.setdefault(SUPERSEDES[f.rule], set()).update((p, node["html"][:100]) for p in f.pages)
    kept = []
    for f in findings:
        axe_id = f.evidence.get("axe_rule", "")
        if f.rule == "axe-needs-review" and axe_id in decided:
            f.pages = [p for p in f.pages if (p, f.evidence.get("html", "")[:100]) not in decided[axe_id]]
            if not f.pages:
                continue
            f.url = f.pages[0]
        kept.append(f)
    return _same_on_many_pages(kept)


def _same_on_many_pages(findings: list[Finding]) -> list[Finding]:
    """One finding per per-page rule and set of elements (selectors and count), listing every page it is on."""
    first: dict[tuple[str, str, tuple[str, ...]], Finding] = {}
    out = []
    for f in findings:
        if f.rule not in PEER_IDS or not _per_page(f.rule):
            out.append(f)
            continue
        key = (f.rule, f.message, tuple(n["selector"] for n in f.evidence.get("nodes", [])))
        if key in first:
            first[key].pages = sorted({*first[key].pages, *f.pages})
            first[key].url = first[key].pages[0]
            continue
        first[key] = f
        out.append(f)
    return out


def _per_page(rule: str) -> bool:
    return next(r.per_page for r in PEER_RULES if r.id == rule)

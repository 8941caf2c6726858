"""Render a results dict as one self-contained HTML page: inline CSS, figures as base64 PNG, no scripts,
no external assets, readable on a phone (fluid images, horizontally scrolling tables)."""

from __future__ import annotations

from html import escape
from typing import Any

from stancewire.eval.report_format import Section, Table
from stancewire.eval.report_md import build_sections

CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f;background:#fafafa}
main{max-width:1100px;margin:0 auto;padding:12px 14px 40px}
h1{font-size:1.5em;margin:.4em 0}h2{font-size:1.25em;margin:1.4em 0 .4em;border-bottom:1px solid #ddd}
h3{font-size:1.08em;margin:1.2em 0 .3em}
nav{font-size:.9em;margin:.5em 0 1em;overflow-wrap:anywhere}nav a{margin-right:.8em;white-space:nowrap}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch;background:#fff;border:1px solid #e3e3e3}
.table-wrap{margin:.4em 0 1em}
table{border-collapse:collapse;font-size:.86em;min-width:100%}
th,td{padding:4px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{background:#f0f3f7;position:sticky;top:0}
td{white-space:nowrap}table.errors td:last-child{white-space:normal;min-width:16em}
table.wrap td{white-space:normal;min-width:10em}
table.leaderboard tr:first-child td{font-weight:600}
caption{caption-side:top;text-align:left;font-weight:600;padding:6px 8px}
.note{color:#555;font-size:.85em;margin:.2em 0 1em}
figure{margin:.6em 0 1.2em}
img.plot{display:block;max-width:100%;height:auto;background:#fff;border:1px solid #e3e3e3}
figcaption{font-size:.85em;color:#555}
details{margin:.4em 0}summary{cursor:pointer;font-weight:600}
@media (max-width:600px){body{font-size:14px}th,td{padding:3px 5px}}
"""


def html_table(table: Table) -> str:
    """A table inside a horizontally scrolling wrapper; ``collapsed`` tables go inside ``<details>``."""
    attrs = (f' id="{escape(table.css_id)}"' if table.css_id else "") + (
        f' class="{escape(table.css_class)}"' if table.css_class else ""
    )
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in table.rows)
    if not table.rows:
        body = f'<tr><td colspan="{len(table.headers)}">(none)</td></tr>'
    html = (
        f'<div class="table-wrap"><table{attrs}><caption>{escape(table.title)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )
    if table.note:
        html += f'<p class="note">{escape(table.note)}</p>'
    if table.collapsed:
        html = f"<details><summary>{escape(table.title)} ({len(table.rows)} rows)</summary>{html}</details>"
    return html


def html_section(section: Section) -> str:
    """A section: heading, paragraphs, tables, then figures (drawn now)."""
    level = min(max(section.level, 1), 6)
    attrs = f' id="{escape(section.css_id)}"' if section.css_id else ""
    parts = [f"<section{attrs}><h{level}>{escape(section.title)}</h{level}>"]
    parts.extend(f"<p>{escape(text)}</p>" for text in section.text)
    parts.extend(html_table(t) for t in section.tables)
    for plot in section.plots:
        image = f'<img class="plot" src="data:image/png;base64,{plot.draw()}" alt="{escape(plot.alt or plot.title)}">'
        parts.append(f"<figure>{image}<figcaption>{escape(plot.title)}</figcaption></figure>")
    parts.append("</section>")
    return "".join(parts)


def render_html(results: dict[str, Any], title: str | None = None) -> str:
    """The whole HTML report of a results dict, as one string.

    Example:
        >>> page = render_html(read_results("reports/demo/results.json"))  # doctest: +SKIP
    """
    sections = build_sections(results)
    title = title or (sections[0].title if sections else "stancewire report")
    links = " ".join(f'<a href="#{escape(s.css_id)}">{escape(s.title)}</a>' for s in sections if s.css_id)
    nav = f"<nav>{links}</nav>" if links else ""
    body = "".join(html_section(s) for s in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body><main>{nav}{body}</main></body></html>\n"
    )

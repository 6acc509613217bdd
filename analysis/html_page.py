"""The report's HTML: one self-contained page per ablation and an index (no scripts, no network:
images, audio and tables are files beside the page, referenced by relative paths)."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.85em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th[scope=row], thead th:first-child { text-align: left; }
caption { caption-side: bottom; text-align: left; font-size: 0.85em; color: #555;
          padding-top: 0.4em; }
img { max-width: 100%; border: 1px solid #eee; }
code, pre { background: #f6f6f6; padding: 0.1em 0.3em; }
pre { white-space: pre-wrap; padding: 0.6em; }
figure { margin: 1.5em 0; } figcaption { font-size: 0.85em; color: #555; }
p.verdict { background: #f3f6fb; border-left: 4px solid #3b6fb6; padding: 0.6em 1em; }
details.config { font-size: 0.85em; margin: 0.3em 0 1em; }
details.config summary { cursor: pointer; color: #3b6fb6; }
td { vertical-align: top; }
table.text td, table.text th { text-align: left; max-width: 40em; }
"""


def esc(text: object) -> str:
    return html.escape(str(text))


@dataclass
class Section:
    title: str
    body: str


@dataclass
class Page:
    title: str
    intro: str = ""
    sections: list[Section] = field(default_factory=list)

    def add(self, title: str, body: str) -> None:
        self.sections.append(Section(title, body))

    def render(self) -> str:
        toc = "".join(f"<li><a href=\"#s{i}\">{esc(s.title)}</a></li>"
                      for i, s in enumerate(self.sections))
        body = "".join(f"<section id=\"s{i}\"><h2>{esc(s.title)}</h2>{s.body}</section>"
                       for i, s in enumerate(self.sections))
        return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{esc(self.title)}</title><style>{STYLE}</style></head><body>"
                f"<h1>{esc(self.title)}</h1>{self.intro}<ul>{toc}</ul>{body}</body></html>\n")


def figure(src: str, caption: str) -> str:
    return (f"<figure><img src=\"{esc(src)}\" alt=\"{esc(caption)}\">"
            f"<figcaption>{esc(caption)}</figcaption></figure>")


def audio(src: str) -> str:
    return f"<audio controls preload=\"metadata\" src=\"{esc(src)}\"></audio>"


def links(items: Sequence[tuple[str, str]]) -> str:
    return " · ".join(f"<a href=\"{esc(href)}\">{esc(text)}</a>" for text, href in items)


def simple_table(headers: Sequence[str], rows: Sequence[Sequence[str]], raw: bool = False
                 ) -> str:
    """A plain table (cells escaped unless ``raw``: then they are trusted HTML)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c if raw else esc(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"

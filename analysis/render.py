"""A :class:`analysis.tables.Table` as Markdown, LaTeX (booktabs), HTML or CSV.

A table's ``details`` (the config that is the same in every run) follow it: a collapsible
``<details>`` block in HTML and Markdown, a comment in LaTeX, ``<name>_config.csv`` beside the
CSV.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd

from analysis.tables import Table

LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
                 "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
                 "^": r"\textasciicircum{}", "±": r"$\pm$", "↑": r"$\uparrow$",
                 "↓": r"$\downarrow$", "\u00d7": r"$\times$", "<": r"\textless{}",
                 ">": r"\textgreater{}", "|": r"\textbar{}", "†": r"\textsuperscript{\dag}",
                 "‡": r"\textsuperscript{\ddag}"}


def latex_escape(text: str) -> str:
    return "".join(LATEX_SPECIAL.get(c, c) for c in text)


def _md_escape(text: str) -> str:
    return text.replace("|", r"\|").replace("*", r"\*").replace("_", r"\_")


def to_markdown(t: Table) -> str:
    head = [t.row_header, *t.headers]
    lines = ["| " + " | ".join(_md_escape(h) for h in head) + " |",
             "|" + "|".join(["---"] + ["---:"] * len(t.headers)) + "|"]
    for row, cells in zip(t.rows, t.cells, strict=True):
        texts = [f"**{_md_escape(c.text)}**" if c.bold else _md_escape(c.text) for c in cells]
        lines.append("| " + " | ".join([_md_escape(row), *texts]) + " |")
    return (f"**{_md_escape(t.title)}**\n\n" + "\n".join(lines)
            + f"\n\n{_md_escape(t.caption)}\n" + details_html(t))


def _value(v: object) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def details_html(t: Table) -> str:
    """The constant config as a collapsible block (empty when there is none)."""
    if not t.details:
        return ""
    rows = "".join(f"<tr><td><code>{html.escape(k)}</code></td><td>{html.escape(_value(v))}"
                   f"</td></tr>" for k, v in sorted(t.details.items()))
    return (f"<details class=\"config\"><summary>Config: {len(t.details)} settings that are "
            f"the same in every run</summary><table><tbody>{rows}</tbody></table></details>\n")


def label(t: Table) -> str:
    """A LaTeX label unique per ablation and table, e.g. ``real-vs-complex-results``."""
    return re.sub(r"[^A-Za-z0-9]+", "-", f"{t.title.partition(':')[0]}-{t.name}").strip("-")


def to_latex(t: Table) -> str:
    """A ``table`` float with booktabs rules (``\\usepackage{booktabs}``)."""
    spec = "l" + "r" * len(t.headers)
    body = [" & ".join([latex_escape(t.row_header), *map(latex_escape, t.headers)]) + r" \\"]
    rows = []
    for row, cells in zip(t.rows, t.cells, strict=True):
        texts = [rf"\textbf{{{latex_escape(c.text)}}}" if c.bold else latex_escape(c.text)
                 for c in cells]
        rows.append(" & ".join([latex_escape(row), *texts]) + r" \\")
    return "\n".join([r"\begin{table}[t]", r"\centering", r"\small",
                      rf"\caption{{{latex_escape(t.caption)}}}",
                      rf"\label{{tab:{label(t)}}}",
                      rf"\begin{{tabular}}{{{spec}}}", r"\toprule", *body, r"\midrule", *rows,
                      r"\bottomrule", r"\end{tabular}", r"\end{table}",
                      *(f"% same in every run: {k}={_value(v)}" for k, v in
                        sorted(t.details.items())), ""])


def to_html(t: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in [t.row_header, *t.headers])
    rows = []
    for row, cells in zip(t.rows, t.cells, strict=True):
        tds = "".join(f"<td><b>{html.escape(c.text)}</b></td>" if c.bold
                      else f"<td>{html.escape(c.text)}</td>" for c in cells)
        rows.append(f"<tr><th scope=\"row\">{html.escape(row)}</th>{tds}</tr>")
    return (f"<table class=\"results\" id=\"{html.escape(t.name)}\">"
            f"<caption>{html.escape(t.caption)}</caption>"
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
            + details_html(t))


def write_all(t: Table, folder: Path) -> list[Path]:
    """``<name>.md``, ``.tex``, ``.html`` and ``.csv`` in ``folder``; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for ext, text in (("md", to_markdown(t)), ("tex", to_latex(t)), ("html", to_html(t))):
        path = folder / f"{t.name}.{ext}"
        path.write_text(text, encoding="utf-8")
        out.append(path)
    path = folder / f"{t.name}.csv"
    t.frame().to_csv(path, index=False)
    out.append(path)
    if t.details:
        path = folder / f"{t.name}_config.csv"
        pd.DataFrame({"key": sorted(t.details), "value": [_value(t.details[k]) for k in
                                                          sorted(t.details)]}
                     ).to_csv(path, index=False)
        out.append(path)
    return out

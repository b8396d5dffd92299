"""Typeset math for the rendered course, offline: LaTeX in markdown cells becomes MathML.

Browsers draw MathML themselves (Chromium since 109, Firefox and Safari for longer), so a
page needs neither MathJax nor a CDN. ``latex2mathml`` (pure Python, no dependencies)
converts each ``$…$`` and ``$$…$$`` span at build time. Before the markdown is rendered,
every span is swapped for an opaque token (letters and digits only, so markdown cannot
touch it: an ``_`` or ``*`` in the LaTeX would otherwise become emphasis), and after
nbconvert's HTML export the tokens are swapped for the MathML. Code spans, fenced code
and ``\\$`` are left alone.
"""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass, field

FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
DISPLAY = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$", re.S)
INLINE = re.compile(r"(?<![\\$])\$(?![\s$])((?:\\\$|[^$])+?)(?<![\s\\])\$(?!\d)")


class MathError(ValueError):
    """A math span latex2mathml cannot convert (the message names it)."""


def to_mathml(latex: str, display: bool = False) -> str:
    """One ``<math>`` element for ``latex``; raises :class:`MathError` naming the span."""
    from latex2mathml.converter import convert

    try:
        return convert(latex.strip(), display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises its own exceptions and plain ones
        raise MathError(f"cannot typeset {latex.strip()!r}: {type(error).__name__}: {error}") from error


@dataclass
class Protected:
    """Markdown with its math swapped for tokens, and the MathML each token stands for."""

    tokens: dict[str, str] = field(default_factory=dict)
    latex: dict[str, str] = field(default_factory=dict)
    prefix: str = field(default_factory=lambda: "MATH" + uuid.uuid4().hex[:12].upper())

    def _token(self, latex: str, display: bool) -> str:
        token = f"{self.prefix}N{len(self.tokens)}Z"
        self.tokens[token] = to_mathml(latex, display)
        self.latex[token] = latex.strip()
        return token

    def protect(self, markdown: str) -> str:
        """``markdown`` with every math span replaced by a token."""
        kept: list[str] = []

        def keep(match: re.Match) -> str:  # code is put back untouched at the end
            kept.append(match.group(0))
            return f"\x00{len(kept) - 1}\x00"

        text = CODE_SPAN.sub(keep, FENCE.sub(keep, markdown))
        text = DISPLAY.sub(lambda m: self._token(m.group(1), True), text)
        text = INLINE.sub(lambda m: self._token(m.group(1), False), text)
        return re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)

    def restore(self, page: str) -> str:
        """``page`` (HTML) with every token replaced by its MathML."""
        if not self.tokens:
            return page
        token = re.compile(re.escape(self.prefix) + r"N\d+Z")
        # inside a tag (a heading's id, a title attribute) a token becomes its LaTeX, escaped
        page = re.sub(r"<[^<>]*>", lambda tag: token.sub(
            lambda m: html.escape(self.latex.get(m.group(0), ""), quote=True), tag.group(0)), page)
        return token.sub(lambda m: self.tokens.get(m.group(0), m.group(0)), page)


def math_spans(markdown: str) -> list[tuple[str, bool]]:
    """Every (latex, display) span in ``markdown``, code left out: for tests and checks."""
    spans: list[tuple[str, bool]] = []
    text = CODE_SPAN.sub("", FENCE.sub("", markdown))
    text = DISPLAY.sub(lambda m: spans.append((m.group(1), True)) or "", text)
    INLINE.sub(lambda m: spans.append((m.group(1), False)) or "", text)
    return spans

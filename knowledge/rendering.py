"""Markdown to safe HTML: the one way an article's text becomes a page.

markdown-it-py renders CommonMark (+ tables and strikethrough) with raw HTML turned off, so
HTML typed into an article shows as text; nh3 then keeps only the tags and attributes below,
whatever the renderer produced. Both run when the text is saved; pages show the stored result.
"""

from __future__ import annotations

import html
import re

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em",
    "code", "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "s", "img",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)
_TAG = re.compile(r"<[^>]*>")


# The only images an article shows: those attached to articles, served by the help centre
# to who may read them (knowledge.views.help.help_image).
ARTICLE_IMAGE = re.compile(r"/help/images/[0-9]{1,18}/")


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    # Images come from this site only (CSP says so too): an outside image would tell its
    # server who read the article, and another page of ours is no image.
    if tag == "img" and attribute == "src" and not ARTICLE_IMAGE.fullmatch(value):
        return None
    return value


def _clean(html_text: str) -> str:
    return nh3.clean(
        html_text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        attribute_filter=_attribute_filter,
    )


def markdown_to_html(text: str) -> str:
    rendered = _markdown.render(text)
    # An article's title is the page's only h1: headings in the text start one level down.
    return _clean(re.sub(r"<(/?)h1>", r"<\1h2>", rendered))


def safe_html(stored: str) -> SafeString:
    """Stored article HTML for a page: the one place it is marked safe, cleaned once more on
    the way out (nh3 is fast) so that a row written around the services cannot carry script."""
    # nosemgrep: helpdesk.mark-safe (nh3 cleaned it just now)
    return mark_safe(_clean(stored))  # noqa: S308


def html_to_text(safe_html: str) -> str:
    """The words of rendered HTML, one space between blocks (for snippets and search)."""
    return " ".join(html.unescape(_TAG.sub(" ", safe_html)).split())

"""Full-text search of articles: ranked, with a highlighted snippet.

PostgreSQL: a stored, weighted tsvector (title and tags weigh A, the text B) on a GIN index,
`websearch` queries, ts_rank and ts_headline. SQLite: every word must appear in the title,
tags or text (icontains), newest first, with a snippet cut around the first match.

Snippets are built with markers no text contains and escaped before the markers become
<mark>: nothing an author or a searcher typed is ever marked safe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .models import Article

CONFIG = "english"
START, STOP = "\x02", "\x03"  # highlight markers: control characters no article keeps
SNIPPET_WORDS = 30
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class Hit:
    article: Article
    snippet: SafeString


def document() -> SearchVector:
    return (
        SearchVector("title", weight="A", config=CONFIG)
        + SearchVector("tags", weight="A", config=CONFIG)
        + SearchVector("body_text", weight="B", config=CONFIG)
    )


def refresh_vector(article_id: int) -> None:
    """Recompute the stored search document of one article (PostgreSQL only)."""
    if connection.vendor == "postgresql":
        Article.objects.filter(pk=article_id).update(search_vector=document())


def highlight(marked: str) -> SafeString:
    """Text with START/STOP markers → escaped HTML with <mark> around the matches."""
    pieces = []
    for number, part in enumerate(re.split(f"[{START}{STOP}]", marked)):
        # Parts alternate: outside a match, inside one (the markers come in pairs).
        pieces.append((format_html("<mark>{}</mark>", part) if number % 2 else part,))
    return format_html_join("", "{}", pieces)


def clean_query(text: str) -> str:
    return " ".join(text.replace(START, "").replace(STOP, "").split())[:MAX_QUERY_LENGTH]


def search(articles: QuerySet[Article], text: str, *, limit: int = 20) -> list[Hit]:
    """The best `limit` of `articles` (already narrowed to what the reader may see) for
    `text`."""
    text = clean_query(text)
    if not text:
        return []
    articles = articles.select_related("category")
    if connection.vendor == "postgresql":
        return _postgres(articles, text, limit)
    return _fallback(articles, text, limit)


def _postgres(articles: QuerySet[Article], text: str, limit: int) -> list[Hit]:
    query = SearchQuery(text, config=CONFIG, search_type="websearch")
    rows = (
        articles.filter(search_vector=query)
        .annotate(
            rank=SearchRank(F("search_vector"), query),
            snippet=SearchHeadline(
                "body_text",
                query,
                config=CONFIG,
                start_sel=START,
                stop_sel=STOP,
                max_words=SNIPPET_WORDS,
                min_words=SNIPPET_WORDS // 2,
            ),
        )
        .defer("body_html", "body_markdown", "body_text", "search_vector")
        .order_by("-rank", "-updated_at", "id")[:limit]
    )
    return [Hit(article=row, snippet=highlight(row.snippet)) for row in rows]


def _fallback(articles: QuerySet[Article], text: str, limit: int) -> list[Hit]:
    words = text.split()[:10]
    condition = Q()
    for word in words:
        condition &= (
            Q(title__icontains=word) | Q(tags__icontains=word) | Q(body_text__icontains=word)
        )
    rows = articles.filter(condition).order_by("-updated_at", "id")
    return [Hit(article=row, snippet=_cut(row.body_text, words)) for row in rows[:limit]]


def _cut(body: str, words: list[str]) -> SafeString:
    lower = body.lower()
    found = [i for i in (lower.find(word.lower()) for word in words) if i >= 0]
    start = max(0, min(found) - 80) if found else 0
    piece = body[start : start + 240]
    for word in sorted(set(words), key=len, reverse=True):
        piece = _mark(piece, word)
    return highlight(("… " if start else "") + piece + ("…" if start + 240 < len(body) else ""))


def _mark(text: str, word: str) -> str:
    out, lower, needle, at = [], text.lower(), word.lower(), 0
    while needle and (found := lower.find(needle, at)) >= 0:
        out += [text[at:found], START, text[found : found + len(needle)], STOP]
        at = found + len(needle)
    out.append(text[at:])
    return "".join(out)

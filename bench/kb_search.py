"""How fast the help centre's search answers at 10,000 articles (target: 50 ms server time).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \\
        .venv/bin/python bench/kb_search.py [--articles 10000] [--runs 7]

Writes invented articles (words from a help-desk vocabulary, Markdown rendered and sanitised
as on save) until the database holds --articles, then times, for several queries: the search
itself (knowledge.search over what an anonymous visitor and an agent may read), the help
centre's search page and the new-ticket suggestion endpoint through the whole Django stack
(test client, throttling off). Prints a markdown table: best and median of --runs, queries.
"""

import argparse
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "true")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from bench.measure import timed  # noqa: E402
from knowledge import queries, search  # noqa: E402
from knowledge.models import Article, ArticleStatus, Visibility  # noqa: E402
from knowledge.rendering import html_to_text, markdown_to_html  # noqa: E402
from tickets.models import Category  # noqa: E402

WORDS = (  # noqa: SIM905
    "vpn password outlook mailbox printer laptop dock screen invoice payment login portal "
    "certificate profile network wifi drive share calendar meeting phone update restart "
    "account locked reset token browser cache cookie firewall gateway router cable toner "
    "scanner keyboard battery charger license subscription refund export report backup "
    "restore sync folder permission group admin error slow timeout crash install driver"
).split()
# Each article is about one topic (three of the words above) and says the rest in filler words
# from a larger vocabulary, as real articles do: a topic word is in a few percent of them.
TOPICS = [WORDS[i : i + 3] for i in range(0, len(WORDS) - 2, 3)]
SYLLABLES = "ka lo mi ne ru ta vo pe si do fa gu".split()  # noqa: SIM905
# "restart" is in every article: the worst case, every row matched and ranked.
QUERIES = ["vpn", "vpn outlook", "printer laptop", "payment login portal", "zebra", "restart"]


def filler(rng: random.Random) -> list[str]:
    return ["".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(3000)]


def invent(rng: random.Random, n: int, words: list[str]) -> tuple[str, str, str]:
    topic = rng.choice(TOPICS[:-1])  # the last holds "restart", which every article has
    title = " ".join([*topic, *rng.sample(words, 2)]).capitalize() + f" ({n})"
    paragraphs = [
        " ".join(rng.sample(topic, 2) + rng.choices(words, k=50) + ["restart"]) + "."
        for _ in range(4)
    ]
    body = "## Steps\n\n" + "\n\n".join(f"1. {p}" for p in paragraphs)
    return title, body, ", ".join(topic)


def fill(target: int) -> None:
    have = Article.objects.count()
    if have >= target:
        return
    author, _ = User.objects.get_or_create(
        email="bench-writer@example.com",
        defaults={"display_name": "Bench writer", "role": Role.AGENT},
    )
    categories = list(Category.objects.all()) or [Category.objects.create(name="Bench")]
    rng = random.Random(21)
    words = filler(rng)
    now = timezone.now()
    batch = []
    for n in range(have, target):
        title, body, tags = invent(rng, n, words)
        html = markdown_to_html(body)
        batch.append(
            Article(
                title=title,
                slug=f"bench-{n}",
                body_markdown=body,
                body_html=html,
                body_text=html_to_text(html),
                tags=tags,
                category=rng.choice(categories),
                status=ArticleStatus.PUBLISHED,
                visibility=rng.choice(
                    [Visibility.PUBLIC] * 6 + [Visibility.CUSTOMERS] * 3 + [Visibility.STAFF]
                ),
                created_by=author,
                created_at=now,
                updated_at=now,
                published_at=now,
            )
        )
    Article.objects.bulk_create(batch, batch_size=1000)
    if connection.vendor == "postgresql":
        Article.objects.filter(search_vector__isnull=True).update(search_vector=search.document())
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE knowledge_article")
    print(f"wrote {target - have:,} articles")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reset", action="store_true", help="delete the invented articles first")
    args = parser.parse_args()
    if args.reset:
        Article.objects.filter(slug__startswith="bench-").delete()
    fill(args.articles)
    agent = User.objects.filter(role=Role.AGENT).first()
    print(
        f"{connection.vendor}, {Article.objects.count():,} articles; best and median of "
        f"{args.runs} runs\n"
    )
    print("| what | query | hits | best | median | queries |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    anonymous, staff = Client(), Client()
    staff.force_login(agent)
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "kb_suggest": None}
    with override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates},
        ALLOWED_HOSTS=["*"],
        SECURE_SSL_REDIRECT=False,
    ):
        for q in QUERIES:
            cases = [
                ("search, anonymous", lambda q=q: search.search(queries.visible_to(None), q)),
                ("search, agent", lambda q=q: search.search(queries.visible_to(agent), q)),
                ("/help/search/ page", lambda q=q: anonymous.get("/help/search/", {"q": q})),
                (
                    "suggestions API",
                    lambda q=q: anonymous.get("/api/v1/kb/suggestions/", {"q": q}),
                ),
            ]
            for name, action in cases:
                best, median, count, result = timed(action, args.runs)
                hits = len(result) if isinstance(result, list) else "—"
                print(
                    f"| {name} | {q} | {hits} | {best * 1000:.1f} ms | {median * 1000:.1f} ms "
                    f"| {count} |"
                )


if __name__ == "__main__":
    main()

"""The public help centre: browse by service, search, read, say whether it helped.

Every list and lookup starts from knowledge.queries.visible_to(request.user): anonymous
visitors read public articles, customers also theirs, staff everything published.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpdesk.security_log import client_ip
from tickets.models import Category
from tickets.views.files import DOWNLOAD_CSP

from .. import queries, search, services
from ..forms import FeedbackForm, SearchForm
from ..models import SearchEvent

PAGE_SIZE = 25
RECENT = 8
ATTEMPT = "kb_attempt"  # the session key of the customer's current self-service attempt


def _is_customer(request: HttpRequest) -> bool:
    return request.user.is_authenticated and request.user.is_customer


def help_home(request: HttpRequest) -> HttpResponse:
    visible = queries.visible_to(request.user)
    services_shown = (
        Category.objects.annotate(
            shown=Count("articles", filter=Q(articles__in=visible.values("pk")))
        )
        .filter(shown__gt=0)
        .order_by("name")
    )
    recent = (
        visible.select_related("category")
        .defer("body_markdown", "body_html", "body_text", "search_vector")
        .order_by("-updated_at", "id")[:RECENT]
    )
    return render(
        request,
        "knowledge/home.html",
        {"services": services_shown, "recent": recent, "form": SearchForm()},
    )


def help_service(request: HttpRequest, pk: int) -> HttpResponse:
    category = get_object_or_404(Category, pk=pk)
    articles = (
        queries.visible_to(request.user)
        .filter(category=category)
        .select_related("category")
        .defer("body_markdown", "body_html", "body_text", "search_vector")
        .order_by("title", "id")
    )
    page = Paginator(articles, PAGE_SIZE).get_page(request.GET.get("page"))
    if not page.object_list and page.number == 1:
        # A service with nothing this reader may see does not exist for them.
        raise Http404
    return render(
        request,
        "knowledge/service.html",
        {"category": category, "page": page, "form": SearchForm()},
    )


def help_search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    hits: list[search.Hit] = []
    q = ""
    looking_first = request.GET.get("from") == "new" and _is_customer(request)
    if form.is_valid():
        q = form.cleaned_data["q"]
        hits = search.search(queries.visible_to(request.user), q)
        services.search_record(
            query=q, results=len(hits), source=SearchEvent.Source.HELP, user=request.user
        )
        if looking_first and hits:
            attempt = services.attempt_suggested(
                customer=request.user,
                key=request.session.get(ATTEMPT),
                query=q,
                shown=len(hits),
            )
            request.session[ATTEMPT] = str(attempt.key)
    return render(
        request,
        "knowledge/search.html",
        {"form": form, "hits": hits, "q": q, "looking_first": looking_first},
        status=400 if form.errors else 200,
    )


def help_article(request: HttpRequest, slug: str) -> HttpResponse:
    article, moved_to = queries.article_for_reader(user=request.user, slug=slug)
    if moved_to is not None:
        query = request.META.get("QUERY_STRING", "")
        target = reverse("help:article", kwargs={"slug": moved_to})
        return redirect(target + (f"?{query}" if query else ""), permanent=True)
    visitor = services.visitor_digest(
        user=request.user,
        session_key=request.session.session_key,
        address=client_ip(request),
        agent=request.headers.get("User-Agent", ""),
    )
    services.view_record(article=article, user=request.user, visitor=visitor)
    if request.GET.get("via") == "suggest" and _is_customer(request):
        services.attempt_viewed(customer=request.user, key=request.session.get(ATTEMPT))
    return render(
        request,
        "knowledge/article.html",
        {
            "article": article,
            "feedback_form": FeedbackForm(),
            "from_new": request.GET.get("via") == "suggest" and _is_customer(request),
        },
    )


@require_POST
def help_feedback(request: HttpRequest, slug: str) -> HttpResponse:
    article, _moved = queries.article_for_reader(user=request.user, slug=slug)
    if article is None:
        raise Http404
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "knowledge/article.html",
            {"article": article, "feedback_form": form},
            status=400,
        )
    services.feedback_add(
        article=article,
        helpful=form.cleaned_data["helpful"],
        reason=form.cleaned_data["reason"],
        user=request.user,
    )
    messages.success(request, _("Thank you: your answer helps us improve this article."))
    return redirect("help:article", slug=article.slug)


def help_image(request: HttpRequest, pk: int) -> FileResponse:
    """An image of an article, to whoever may read the article (staff: any article, drafts
    too, for their previews); a 404 to everyone else, as if it did not exist."""
    image = get_object_or_404(queries.images_visible_to(request.user), pk=pk)
    try:
        handle = image.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # The type comes from the checked content (tickets.uploads), never from the uploader.
    response = FileResponse(handle, content_type=image.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    # Who may read it depends on the reader and may change: no shared cache keeps it.
    response["Cache-Control"] = "private, max-age=300"
    return response

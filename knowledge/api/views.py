"""/api/v1/kb/: articles read by everyone as knowledge.queries.visible_to allows, written by
staff; search, suggestions for the new-ticket form, and feedback."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from tickets.api.schema import LIST_ERRORS, READ_ERRORS
from tickets.api.throttling import AnonThrottle, UserThrottle
from tickets.api.views import Page, strict_params

from .. import queries, search, services
from ..models import SearchEvent
from ..views.help import ATTEMPT
from .serializers import (
    ArticleDetailSerializer,
    ArticlePageSerializer,
    ArticleSerializer,
    ArticleWriteSerializer,
    FeedbackSerializer,
    HitSerializer,
    ListParamsSerializer,
    StaffSearchParamsSerializer,
    SuggestionsSerializer,
    SuggestParamsSerializer,
)
from .throttling import SuggestThrottle

SUGGESTIONS = 5
SLUG = OpenApiParameter(
    "slug",
    {"type": "string", "pattern": r"^[-a-zA-Z0-9_]+$", "maxLength": 80},
    OpenApiParameter.PATH,
    description="The article's address.",
)


class StaffWrites(BasePermission):
    """Anyone reads (as visibility allows); only agents and managers write."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return bool(request.user and request.user.is_authenticated and request.user.is_agent)


def _write(data: dict) -> dict:
    return {
        "title": data["title"],
        "body_markdown": data["body_markdown"],
        "category": data["service"],
        "tags": data["tags"],
        "visibility": data["visibility"],
    }


def _refused(error: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(
            {k: [str(m) for m in v] for k, v in error.message_dict.items()}
        )
    return exceptions.ValidationError({"non_field_errors": error.messages})


class ArticlePage(Page):
    """The tickets API's cursor paging (tickets.api.views.Page), by title."""

    ordering = ("title", "id")


class ArticleList(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly, StaffWrites]

    @extend_schema(
        tags=["knowledge"],
        summary="List articles",
        operation_id="kb_articles_list",
        parameters=[ListParamsSerializer],
        responses={200: ArticlePageSerializer, **LIST_ERRORS},
        description="Published articles you may read (signed out: public ones), by title, a "
        "page at a time by cursor. Staff may ask for drafts or archived ones with `status`. "
        "With `q`: the best `page_size` matches, best first, on one page (`next` is null).",
    )
    def get(self, request: Request) -> Response:
        params = strict_params(request, ListParamsSerializer).validated_data
        if params.get("status") and queries.is_staff(request.user):
            articles = queries.staff_articles().filter(status=params["status"])
        else:
            articles = queries.visible_to(request.user)
        if params.get("service"):
            articles = articles.filter(category_id=params["service"])
        paging = ArticlePage()
        if params.get("q"):
            size = paging.get_page_size(request)
            hits = search.search(articles, params["q"], limit=size)
            rows = [hit.article for hit in hits]
            return Response(
                {"next": None, "previous": None, "results": ArticleSerializer(rows, many=True).data}
            )
        rows = paging.paginate_queryset(
            articles.select_related("category").defer(
                "body_markdown", "body_html", "body_text", "search_vector"
            ),
            request,
            view=self,
        )
        return paging.get_paginated_response(ArticleSerializer(rows, many=True).data)

    @extend_schema(
        tags=["knowledge"],
        summary="Write an article (staff)",
        operation_id="kb_articles_create",
        request=ArticleWriteSerializer,
        responses={201: ArticleDetailSerializer, **LIST_ERRORS},
    )
    def post(self, request: Request) -> Response:
        body = ArticleWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            article = services.article_create(
                by=request.user,
                publish=body.validated_data["publish"],
                **_write(body.validated_data),
            )
        except DjangoValidationError as error:
            raise _refused(error) from None
        return Response(ArticleDetailSerializer(article).data, status=status.HTTP_201_CREATED)


class ArticleDetail(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly, StaffWrites]

    def _article(self, request: Request, slug: str):
        if queries.is_staff(request.user):
            found = queries.staff_articles().filter(slug=slug).select_related("category").first()
            if found is None:
                raise Http404
            return found
        article, _moved = queries.article_for_reader(user=request.user, slug=slug)
        if article is None:
            raise Http404
        return article

    @extend_schema(
        tags=["knowledge"],
        summary="Read an article",
        operation_id="kb_articles_read",
        parameters=[SLUG],
        responses={200: ArticleDetailSerializer, **READ_ERRORS},
    )
    def get(self, request: Request, slug: str) -> Response:
        return Response(ArticleDetailSerializer(self._article(request, slug)).data)

    @extend_schema(
        tags=["knowledge"],
        summary="Edit an article (staff)",
        operation_id="kb_articles_edit",
        parameters=[SLUG],
        request=ArticleWriteSerializer,
        description="A published article keeps its live text until the edit is published "
        "(`publish: true`).",
        responses={200: ArticleDetailSerializer, **READ_ERRORS},
    )
    def put(self, request: Request, slug: str) -> Response:
        article = self._article(request, slug)
        body = ArticleWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.article_edit(
                article_id=article.pk, by=request.user, **_write(body.validated_data)
            )
            if body.validated_data["publish"]:
                services.article_publish(article_id=article.pk, by=request.user)
        except DjangoValidationError as error:
            raise _refused(error) from None
        return Response(ArticleDetailSerializer(self._article(request, article.slug)).data)


class ArticleSearch(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["knowledge"],
        summary="Search articles",
        operation_id="kb_search",
        parameters=[StaffSearchParamsSerializer],
        responses={200: HitSerializer(many=True), **LIST_ERRORS},
    )
    def get(self, request: Request) -> Response:
        params = strict_params(request, StaffSearchParamsSerializer).validated_data
        q = params["q"]
        articles = queries.visible_to(request.user)
        if params.get("audience") == "customers":
            articles = queries.readable_by_customers(articles)
        hits = search.search(articles, q)
        services.search_record(
            query=q, results=len(hits), source=SearchEvent.Source.API, user=request.user
        )
        return Response(HitSerializer(hits, many=True).data)


class Suggestions(APIView):
    """What the new-ticket form offers as the subject is typed."""

    permission_classes = [AllowAny]
    throttle_classes = [AnonThrottle, UserThrottle, SuggestThrottle]

    @extend_schema(
        tags=["knowledge"],
        summary="Suggest articles for a subject",
        operation_id="kb_suggestions",
        parameters=[SuggestParamsSerializer],
        responses={200: SuggestionsSerializer, **LIST_ERRORS},
        description=f"At most {SUGGESTIONS} articles. For a signed-in customer the offer is "
        "counted as a self-service attempt (the deflection report).",
    )
    def get(self, request: Request) -> Response:
        q = strict_params(request, SuggestParamsSerializer).validated_data["q"]
        hits = search.search(queries.visible_to(request.user), q, limit=SUGGESTIONS)
        services.search_record(
            query=q, results=len(hits), source=SearchEvent.Source.SUGGEST, user=request.user
        )
        attempt_key = None
        user = request.user
        if hits and user.is_authenticated and user.is_customer:
            session = request._request.session
            attempt = services.attempt_suggested(
                customer=user, key=session.get(ATTEMPT), query=q, shown=len(hits)
            )
            session[ATTEMPT] = attempt_key = str(attempt.key)
        return Response(SuggestionsSerializer({"attempt": attempt_key, "results": hits}).data)


class Feedback(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["knowledge"],
        summary="Say whether an article answered your question",
        operation_id="kb_feedback",
        parameters=[SLUG],
        request=FeedbackSerializer,
        responses={204: None, **READ_ERRORS},
    )
    def post(self, request: Request, slug: str) -> Response:
        article, _moved = queries.article_for_reader(user=request.user, slug=slug)
        if article is None:
            raise Http404
        body = FeedbackSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.feedback_add(article=article, user=request.user, **body.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from helpdesk.fields import OneLineSerializerField
from tickets.api.serializers import PageParamsSerializer, StrictSerializer
from tickets.models import Category

from ..models import (
    QUERY_MAX_LENGTH,
    REASON_MAX_LENGTH,
    TAGS_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Article,
    ArticleStatus,
    Visibility,
)


class ArticleSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    service = serializers.CharField(
        source="category.name", default=None, read_only=True, allow_null=True
    )
    tags = serializers.ListField(child=serializers.CharField(), source="tag_list", read_only=True)

    class Meta:
        model = Article
        fields = [
            "id",
            "slug",
            "title",
            "url",
            "service",
            "tags",
            "visibility",
            "status",
            "updated_at",
        ]
        read_only_fields = fields

    def get_url(self, article: Article) -> str:
        return settings.SITE_URL.rstrip("/") + reverse(
            "help:article", kwargs={"slug": article.slug}
        )


class ArticlePageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page, or null.")
    previous = serializers.URLField(allow_null=True, help_text="The previous page, or null.")
    results = ArticleSerializer(many=True)


class ArticleDetailSerializer(ArticleSerializer):
    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "body_markdown", "body_html"]
        read_only_fields = fields


class ArticleWriteSerializer(StrictSerializer):
    title = OneLineSerializerField(max_length=TITLE_MAX_LENGTH)
    body_markdown = serializers.CharField(max_length=100_000)
    service = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True, default=None
    )
    tags = serializers.CharField(max_length=TAGS_MAX_LENGTH, required=False, default="")
    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PUBLIC)
    publish = serializers.BooleanField(
        default=False,
        help_text="Publish at once (new articles) or publish this edit over the live text.",
    )


class SearchParamsSerializer(StrictSerializer):
    json_types = False  # a query string: every value is text

    q = serializers.CharField(max_length=QUERY_MAX_LENGTH)


class StaffSearchParamsSerializer(SearchParamsSerializer):
    audience = serializers.ChoiceField(
        choices=[("customers", "customers")],
        required=False,
        help_text="`customers`: only what a signed-in customer may read (to link in a reply).",
    )


class ListParamsSerializer(PageParamsSerializer):
    json_types = False  # a query string: every value is text

    q = serializers.CharField(max_length=QUERY_MAX_LENGTH, required=False)
    service = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
    status = serializers.ChoiceField(
        choices=ArticleStatus.choices,
        required=False,
        help_text="Staff only: articles in this status (others always read published ones).",
    )


class SuggestParamsSerializer(SearchParamsSerializer):
    attempt = serializers.UUIDField(
        required=False, help_text="The attempt key from an earlier answer, to count it once."
    )


class HitSerializer(serializers.Serializer):
    article = ArticleSerializer()
    snippet = serializers.CharField(
        help_text="A piece of the text, HTML-escaped, with the matches in <mark>."
    )


class SuggestionsSerializer(serializers.Serializer):
    attempt = serializers.UUIDField(allow_null=True)
    results = HitSerializer(many=True)


class FeedbackSerializer(StrictSerializer):
    helpful = serializers.BooleanField()
    reason = serializers.CharField(max_length=REASON_MAX_LENGTH, required=False, default="")

"""The knowledge base listens to replies being written, to count the articles agents link.

A signal rather than a call from tickets.services: every channel that writes a reply (page,
API, e-mail) is covered, and the ticket code does not depend on this app.
"""

from __future__ import annotations

import logging

from django.db import transaction

from tickets.models import Comment

from . import services

logger = logging.getLogger(__name__)


def comment_saved(sender, instance: Comment, created: bool, **kwargs) -> None:
    if not created or instance.is_internal or "/help/" not in instance.body:
        return
    comment_id = instance.pk

    def count() -> None:
        comment = Comment.objects.select_related("author").filter(pk=comment_id).first()
        if comment is None:
            return
        try:
            services.links_record(comment=comment)
        except Exception:  # a broken counter must never cost a reply
            logger.exception("Counting article links of comment %s failed", comment_id)

    transaction.on_commit(count)

from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "knowledge"
    verbose_name = "Knowledge base"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from tickets.models import Comment

        from . import signals

        post_save.connect(
            signals.comment_saved, sender=Comment, dispatch_uid="knowledge.links_record"
        )

"""Role checks for views. A page someone may not use answers 404, as if it did not exist."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse

from helpdesk.security_log import log_permission_denied

View = Callable[..., HttpResponse]


def _role_required(test: Callable, view: View) -> View:
    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not test(request.user):
            log_permission_denied(request, reason="role", view=view.__name__)
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def customer_required(view: View) -> View:
    return _role_required(lambda user: user.is_customer, view)


def agent_required(view: View) -> View:
    return _role_required(lambda user: user.is_agent, view)


def manager_required(view: View) -> View:
    return _role_required(lambda user: user.is_manager, view)

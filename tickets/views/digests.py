"""A manager's report digests: subscribe, pause or resume, cancel."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.roles import manager_required
from tickets.forms import DigestSubscriptionForm
from tickets.models import DigestSubscription
from tickets.reports import digests as service


@manager_required
def digests(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = DigestSubscriptionForm(request.POST)
        if form.is_valid():
            try:
                service.digest_subscribe(
                    manager=request.user,
                    frequency=form.cleaned_data["frequency"],
                    filters=form.report_slice(),
                )
            except service.DigestError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, _("Subscribed: the first digest comes after the next period ends.")
                )
                return redirect("reports:digests")
        status = 400
    else:
        # The report page links here with its slice in the URL.
        form = DigestSubscriptionForm(initial=request.GET.dict())
    subscriptions = list(DigestSubscription.objects.filter(manager=request.user))
    words = service.describe(subscriptions)
    return render(
        request,
        "reports/digests.html",
        {"form": form, "subscriptions": [(s, words[s.pk]) for s in subscriptions]},
        status=status,
    )


def _own_or_404(action, request: HttpRequest, pk: int, **kwargs) -> None:
    try:
        action(subscription_id=pk, manager=request.user, **kwargs)
    except DigestSubscription.DoesNotExist:
        raise Http404 from None


@require_POST
@manager_required
def set_active(request: HttpRequest, pk: int) -> HttpResponse:
    active = request.POST.get("active") == "1"
    _own_or_404(service.digest_set_active, request, pk, active=active)
    messages.success(request, _("Digest resumed.") if active else _("Digest paused."))
    return redirect("reports:digests")


@require_POST
@manager_required
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    _own_or_404(service.digest_delete, request, pk)
    messages.success(request, _("Digest cancelled."))
    return redirect("reports:digests")

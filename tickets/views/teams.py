"""Team pages (managers) and the header's availability switch (staff)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.roles import agent_required, manager_required
from helpdesk.forms import add_service_errors
from tickets import routing, teams
from tickets.models import Category, Team
from tickets.team_forms import AvailabilityForm, CapacityForm, TeamForm


@agent_required
@require_POST
def availability(request: HttpRequest) -> HttpResponse:
    """Available, away or off: a plain form in the header, back to the page it was on."""
    form = AvailabilityForm(request.POST)
    if form.is_valid():
        teams.availability_set(agent=request.user, availability=form.cleaned_data["availability"])
        messages.success(
            request,
            _("You are now %(state)s.")
            % {"state": request.user.get_availability_display().lower()},
        )
        target = form.cleaned_data["next"]
    else:
        messages.error(request, _("Choose available, away or off."))
        target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "agent:queue"
    return redirect(target)


@manager_required
def team_list(request: HttpRequest) -> HttpResponse:
    members = User.objects.order_by("display_name", "id")
    rows = (
        Team.objects.order_by("name", "id")
        .annotate(waiting=Count("tickets", filter=routing.waiting_filter()))
        .prefetch_related(
            Prefetch("members", queryset=members),
            Prefetch("categories", queryset=Category.objects.order_by("name", "id")),
        )
    )
    return render(request, "agent/teams.html", {"teams": rows})


def _save(request: HttpRequest, form: TeamForm, team: Team | None) -> Team | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return teams.team_save(
            by=request.user,
            team=team,
            name=data["name"],
            members=data["members"],
            strategy=data["strategy"],
            default_capacity=data["default_capacity"],
            restricted=data["restricted"],
            services=data["services"],
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return None


@manager_required
def team_new(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None)
    if request.method == "POST":
        saved = _save(request, form, None)
        if saved is not None:
            messages.success(request, _("Team created."))
            return redirect("agent:team_detail", pk=saved.pk)
    status = 400 if form.errors else 200
    return render(request, "agent/team_form.html", {"form": form}, status=status)


@manager_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = get_object_or_404(Team, pk=pk)
    if request.method == "POST":
        form = TeamForm(request.POST)
        saved = _save(request, form, team)
        if saved is not None:
            messages.success(request, _("Team saved."))
            return redirect("agent:team_detail", pk=team.pk)
        team.refresh_from_db()
    rows = teams.member_rows(team)
    if request.method != "POST":
        form = TeamForm(
            initial={
                "name": team.name,
                "members": [row.agent.pk for row in rows],
                "strategy": team.strategy,
                "default_capacity": team.default_capacity,
                "restricted": team.restricted,
                "services": [pk for pk in team.categories.values_list("pk", flat=True)],
            }
        )
    context = {
        "team": team,
        "form": form,
        "rows": rows,
        "waiting": routing.waiting(team.pk).count(),
    }
    return render(request, "agent/team.html", context, status=400 if form.errors else 200)


@manager_required
@require_POST
def agent_capacity(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    """One member's own capacity, from the team page (empty: the team's default)."""
    team = get_object_or_404(Team, pk=pk)
    agent = get_object_or_404(team.members.all(), pk=user_id)
    form = CapacityForm(request.POST)
    if form.is_valid():
        try:
            teams.capacity_set(agent=agent, capacity=form.cleaned_data["capacity"], by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Capacity saved."))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect("agent:team_detail", pk=team.pk)

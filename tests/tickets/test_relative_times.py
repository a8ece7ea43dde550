"""How the pages say when something happened: one unit, and "just now" for the last minute."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tickets.templatetags.helpdesk import ago, time_ago


def test_a_moment_within_the_last_minute_is_just_now():
    now = timezone.now()
    assert ago(now) == "just now"
    assert ago(now - timedelta(seconds=59)) == "just now"
    assert ago(now + timedelta(seconds=30)) == "just now"


def test_older_and_later_moments_read_in_one_unit():
    now = timezone.now()
    assert ago(now - timedelta(minutes=1, seconds=5)) == "1\xa0minute ago"
    assert ago(now - timedelta(hours=3, minutes=20)) == "3\xa0hours ago"
    assert ago(now + timedelta(days=2, hours=1)) == "in 2\xa0days"


@given(seconds=st.integers(min_value=-(10**8), max_value=10**8))
def test_never_zero_of_anything(seconds):
    said = ago(timezone.now() + timedelta(seconds=seconds))
    assert said and not said.startswith(("0\xa0", "in 0\xa0"))


@pytest.mark.parametrize("minutes", [0, 90])
def test_the_exact_time_is_there_for_machines_and_on_hover(minutes):
    when = timezone.now() - timedelta(minutes=minutes)
    html = time_ago({}, when)  # nobody signed in: the help desk's zone
    local = timezone.localtime(when, ZoneInfo(settings.HELPDESK_TIME_ZONE))
    assert f'datetime="{local.isoformat()}"' in html
    assert local.strftime("%Y-%m-%d %H:%M %Z") in html

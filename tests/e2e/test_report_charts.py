"""The report's charts in the browser, light and dark: the SVG images draw their text in the
theme's colours (light text on the dark page), and the range presets work without script.
The screenshots land in var/screenshots/report-charts-<scheme>.png."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from accounts.services import user_create
from tickets import services
from tickets.reports.filters import today

from .browsing import PASSWORD, SCREENSHOTS, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

# Of an image's visible pixels, the share that is light (text and guides in the dark theme).
LIGHT_SHARE = """img => {
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const context = canvas.getContext("2d");
  context.drawImage(img, 0, 0);
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
  let seen = 0, light = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] < 128) continue;
    seen++;
    if ((data[i] + data[i + 1] + data[i + 2]) / 3 > 200) light++;
  }
  return seen ? light / seen : 0;
}"""


@pytest.fixture
def reported(site):
    customer = user_create(email="carla@example.com", display_name="Carla", password=PASSWORD)
    user_create(
        email="mia@example.com", display_name="Mia Manager", role=Role.MANAGER, password=PASSWORD
    )
    now = timezone.now()
    for days_ago in (1, 3, 9, 20, 40):
        with time_machine.travel(now - timedelta(days=days_ago), tick=False):
            services.ticket_create(
                customer=customer, created_by=customer, subject="VPN drops", description="Again"
            )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_charts_read_well_in_both_themes(reported, new_page, scheme):
    page = new_page(color_scheme=scheme)
    sign_in(page, "mia@example.com")
    page.goto("/reports/")
    charts = page.locator("img.chart")
    expect(charts).to_have_count(2)
    for chart in charts.all():
        chart.scroll_into_view_if_needed()
        expect(chart).to_have_js_property("complete", True)
        assert chart.evaluate("img => img.naturalWidth") > 0
        share = chart.evaluate(LIGHT_SHARE)
        if scheme == "dark":
            assert share > 0.03  # light text and guides on the dark page
        else:
            assert share < 0.005  # dark text on the light page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator(".report-grid[data-charts]").screenshot(
        path=SCREENSHOTS / f"report-charts-{scheme}.png"
    )
    page.screenshot(path=SCREENSHOTS / f"report-top-{scheme}.png")


def test_a_preset_sets_the_range_and_keeps_the_slice(reported, new_page):
    page = new_page(java_script_enabled=False)
    sign_in(page, "mia@example.com")
    page.goto("/reports/?priority=high")
    page.get_by_role("link", name="Last 7 days").click()
    day = today()
    expect(page.get_by_label("To", exact=True)).to_have_value(day.isoformat())
    expect(page.get_by_label("From", exact=True)).to_have_value(
        (day - timedelta(days=6)).isoformat()
    )
    expect(page.get_by_label("Priority", exact=True)).to_have_value("high")
    expect(page.get_by_role("link", name="Last 7 days")).to_have_attribute("aria-current", "true")

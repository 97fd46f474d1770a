"""The project page's charts in a real browser: sessions received per month (sessions
dated over several months), a numeric custom variable's histogram once one is chosen, a
scatter of one against another (CTDIvol by kVp, coloured by Scanner; variables go by the
names they were defined with) once two are. Each chart's canvas must hold a drawing (its
pixels vary), with no console error (a CSP violation included) and no request to another
host; axe-core on the page."""

import os
import uuid

import pytest
from selenium.webdriver.support.ui import Select

from web_browser import admin_browser
from web_seed import seed_project

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
AXE = os.path.join(TOP, "web", "node_modules", "axe-core", "axe.min.js")
MONTHS = ["2024-01-10", "2024-01-20", "2024-03-05", "2024-04-15", "2024-04-16", "2024-04-17"]


@pytest.fixture(scope="module")
def project(env):
    p = f"WChart{uuid.uuid4().hex[:6]}"
    s = env.session()
    seed_project(env, s, p, 80, f"C{p[6:]}_")
    for i, d in enumerate(MONTHS, 1):
        r = s.put(env.url(f"/data/projects/{p}/subjects/Sub{i:06d}/experiments/Sess{i}"),
                  params={"xsiType": "xnat:ctSessionData", "xnat:ctSessionData/date": d})
        assert r.status_code in (200, 201), r.text
    yield p
    s.delete(env.url(f"/data/projects/{p}?removeFiles=true"))


@pytest.fixture(scope="module")
def browser(env):
    b = admin_browser(env)
    yield b
    b.close()


def pixel_spread(b, figure):
    """How many distinct colours the chart's canvas holds (a blank one: one or none)."""
    return b.js("const c = document.querySelector(arguments[0] + ' canvas');"
                "if (!c || !c.width) return 0;"
                "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
                "const seen = new Set(); for (let i = 0; i < d.length; i += 4)"
                " seen.add((d[i] << 16) | (d[i+1] << 8) | d[i+2] | (d[i+3] << 24));"
                "return seen.size", figure)


def drawn(b, figure):
    b.wait(lambda d: pixel_spread(b, figure) > 2, what=f"{figure} drawn")
    return b.text(f"{figure} figcaption")


class TestWebCharts:
    def test_sessions_per_month(self, env, browser, project):
        b = browser
        b.goto(f"/projects/{project}")
        caption = drawn(b, "#chart-months")
        assert caption == "Sessions received per month, 2024-01 to 2024-04"
        b.screenshot("chart-months")
        b.assert_clean()

    def test_histogram_then_scatter(self, env, browser, project):
        b = browser
        b.goto(f"/projects/{project}")
        assert not b.js("return !!document.querySelector('#chart-histogram, #chart-scatter')")
        Select(b.find("#chart-x")).select_by_visible_text("CTDIvol")
        assert drawn(b, "#chart-histogram") == "Histogram of CTDIvol over 80 subjects"
        b.screenshot("chart-histogram")
        Select(b.find("#chart-x")).select_by_visible_text("kVp")
        Select(b.find("#chart-y")).select_by_visible_text("CTDIvol")
        Select(b.find("#chart-colour")).select_by_visible_text("Scanner")
        assert drawn(b, "#chart-scatter").startswith(
            "CTDIvol by kVp (80 subjects), coloured by Scanner")
        legend = b.js("return [...document.querySelectorAll('#chart-scatter .chart-legend li')]"
                      ".map(li => li.textContent)")
        assert legend == [f"Scanner {i}" for i in range(7)]
        b.screenshot("chart-scatter")
        b.assert_clean()

    def test_no_serious_accessibility_findings(self, env, browser, project):
        b = browser
        with open(AXE, encoding="utf-8") as f:
            assert b.axe(f.read()) == []
        b.assert_clean()

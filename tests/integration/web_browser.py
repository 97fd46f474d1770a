"""A headless Chromium (Debian's, driven by python3-selenium through /usr/bin/chromedriver)
on the test server's pages. It records what the page logs and every request it makes:
`problems()` lists console errors and requests to any host but the server, which every
web test checks after its steps."""

import json
import os
import shutil
import time
from urllib.parse import urlparse

import pytest

ARTIFACTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "artifacts")

webdriver = pytest.importorskip("selenium.webdriver")
if not os.path.isdir(os.path.join(os.path.dirname(ARTIFACTS), "..", "..", "htdocs", "assets")):
    pytest.skip("the web pages are not built (configured --disable-web)",
                allow_module_level=True)
if not shutil.which("chromium") or not shutil.which("chromedriver"):
    pytest.skip("chromium and chromium-driver are not installed", allow_module_level=True)
from selenium.common.exceptions import NoAlertPresentException, TimeoutException  # noqa: E402
from selenium.webdriver.chrome.service import Service as ChromeService  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


class Browser:
    def __init__(self, base_url):
        self.base_url = base_url
        self.host = urlparse(base_url).netloc
        opts = webdriver.ChromeOptions()
        opts.binary_location = shutil.which("chromium")
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=1280,900", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-default-apps", "--disable-sync"):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        service = ChromeService(executable_path=shutil.which("chromedriver"))
        self.driver = webdriver.Chrome(options=opts, service=service)
        self.driver.set_page_load_timeout(60)
        self.expected_statuses = set()  # (path, status) the test expects to fail
        # host:port a test visits on purpose (an identity provider's login pages)
        self.other_hosts = set()
        self.console = []
        self.requests = []

    def close(self):
        self.driver.quit()

    # -- what the page did ------------------------------------------------------------
    def collect(self):
        for e in self.driver.get_log("browser"):
            self.console.append(e)
        for e in self.driver.get_log("performance"):
            msg = json.loads(e["message"])["message"]
            if msg["method"] == "Network.requestWillBeSent":
                self.requests.append(msg["params"]["request"]["url"])

    def expect_failure(self, path, status):
        """A request the test makes fail on purpose (a wrong password's 401): the browser
        notes each failed request as a console error, which is then no problem."""
        self.expected_statuses.add((path, status))

    def _expected(self, entry):
        if entry.get("source") != "network":
            return False
        text = entry["message"]
        # the browser asks any host it shows a page of for its icon: an identity
        # provider's pages need none
        if any(text.startswith(f"http://{h}/favicon.ico ") for h in self.other_hosts):
            return True
        return any(f"{self.base_url}{path}" in text and f"status of {status}" in text
                   for path, status in self.expected_statuses)

    def problems(self):
        self.collect()
        out = [f"console {e['level']}: {e['message']}" for e in self.console
               if e["level"] == "SEVERE" and not self._expected(e)]
        for url in self.requests:
            u = urlparse(url)
            if u.scheme in ("data", "blob"):
                continue
            if u.netloc != self.host and u.netloc not in self.other_hosts:
                out.append(f"request to another host: {url}")
        return out

    def assert_clean(self):
        p = self.problems()
        assert not p, "\n".join(p)

    # -- steps ---------------------------------------------------------------------------
    def goto(self, path):
        self.driver.get(self.base_url + path)

    def wait(self, cond, timeout=20, what="the page"):
        try:
            return WebDriverWait(self.driver, timeout).until(lambda d: cond(d))
        except TimeoutException:
            body = self.js("return document.body.innerText")[:2000]
            raise AssertionError(f"timed out waiting for {what} ({self.driver.current_url}); "
                                 f"the page says:\n{body}")

    def find(self, css, timeout=20):
        return self.wait(lambda d: d.find_elements(By.CSS_SELECTOR, css) and
                         d.find_element(By.CSS_SELECTOR, css), timeout, css)

    # texts are read in the page, in one step: an element the app re-renders between a
    # find and a read would be stale
    def _text(self, css):
        return self.js("const e = document.querySelector(arguments[0]);"
                       "return e ? e.innerText.trim() : null", css)

    def text(self, css, timeout=20):
        return self.wait(lambda d: self._text(css) is not None and self._text(css), timeout, css)

    def wait_text(self, css, pred, timeout=20):
        def check(d):
            t = self._text(css)
            return t is not None and pred(t) and t
        return self.wait(check, timeout, f"{css} to change")

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def js_async(self, script, *args):
        return self.driver.execute_async_script(script, *args)

    def log_in(self, user, password):
        self.find("#login-user").send_keys(user)
        self.find("#login-password").send_keys(password)
        self.find("form button[type=submit]").click()

    def download(self, css, name, timeout=20):
        """Clicks a download link and returns the file's bytes, as the browser saved it."""
        d = os.path.join(ARTIFACTS, "downloads")
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, name)
        if os.path.exists(path):
            os.unlink(path)
        self.driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                                    {"behavior": "allow", "downloadPath": d})
        self.find(css).click()
        deadline = time.monotonic() + timeout
        while not os.path.exists(path) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert os.path.exists(path), f"no download {name} in {d}"
        with open(path, "rb") as f:
            return f.read()

    def alert_open(self):
        try:
            self.driver.switch_to.alert.text
            return True
        except NoAlertPresentException:
            return False

    def screenshot(self, name):
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, f"{name}.png")
        self.driver.save_screenshot(path)
        return path

    def axe(self, axe_js):
        """axe-core's findings on the page as it is: the serious and critical ones."""
        self.js(axe_js)
        res = self.js_async("const done = arguments[arguments.length - 1];"
                            "axe.run(document).then(r => done(r.violations), e => done(String(e)));")
        assert isinstance(res, list), res
        return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in res
                if v["impact"] in ("serious", "critical")]


def by(css):
    return (By.CSS_SELECTOR, css)


def now():
    return time.monotonic()


def new_browser(env):
    """A browser on the suite's server, not logged in (the login probe's 401 expected); the
    caller closes it."""
    b = Browser(env.httpd.base_url)
    b.expect_failure("/data/auth", 401)
    return b


def admin_browser(env):
    """A browser logged in as the site admin, on the projects page; the caller closes it."""
    b = new_browser(env)
    b.goto("/")
    b.log_in(env.ADMIN, env.ADMIN_PASSWORD)
    b.wait_text("h1", lambda t: t == "Projects")
    return b


def set_value(b, css, value, event="input"):
    """Sets a field's value as typing or choosing would, in one step."""
    b.find(css)
    b.js("const e = document.querySelector(arguments[0]); e.value = arguments[1];"
         "e.dispatchEvent(new Event(arguments[2], {bubbles: true}))", css, value, event)

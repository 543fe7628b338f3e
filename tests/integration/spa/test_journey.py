"""A single-page app of our own (tests/integration/spa/app) in real headless Chromium, served
from its own origin, through the real proxy to a full Conduit user journey (issue 14).

Every call the app makes is cross-origin; those with the credential (``Authorization: Token``)
or a JSON body are preflighted, so the journey passes only if every preflight is answered
with CORS headers by a side that is up. It runs on three route tables:

- ``flask``: every route and the default moved with the real CLI
  (``strangler routes set --all flask --default flask``) and NO legacy process running;
- ``flask-routes``: every route moved (``routes set --all flask --no-shadow``) but the
  default left on legacy, NO legacy running: preflights must follow their routes to Flask;
- ``legacy``: every route on legacy (the production table);
- ``shadowed``: every route served by legacy and compared with Flask, writes as dry-runs;
  shadow mode must record no mismatch.

The app sends its credential as a header, not a cookie: legacy's ``cors()`` answers
``Access-Control-Allow-Origin: *``, which the Fetch standard refuses for
``credentials: 'include'`` on either side alike. Screenshots on failure go to
tests/artifacts/spa-<table>-failure.png.
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support import routes
from tests.support.browser import chromium
from tests.support.databases import DatabaseFactory
from tests.support.processes import ServerProcess, free_port, proxy_process
from tests.support.shadow_proxy import strangler, wait_for_comparisons

pytestmark = [pytest.mark.postgres, pytest.mark.legacy]
APP = Path(__file__).parent / "app"
PASSWORD = "a long enough password"
TIMEOUT_MS = 15_000
# What shadow mode may record besides matches: nothing that says the sides differ.
NOT_A_DIFFERENCE = {"match"}


@pytest.fixture(scope="module")
def spa(artifacts_dir: Path) -> Iterator[ServerProcess]:
    """The app's own origin: Python's static file server on another port than the proxy."""
    port = free_port()
    server = ServerProcess(
        "spa", [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                "--directory", str(APP)],
        port=port, ready_path="/index.html", log_dir=artifacts_dir).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def _refused(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _table(kind: str, routes_file: Path, database_url: str) -> None:
    """Write the route table of ``kind``; the flask table is made by the real CLI."""
    if kind == "shadowed":
        routes_file.write_text(routes.dump(routes.shadowed(timeout=10.0)))
        return
    routes_file.write_text(routes.routes_yaml())  # every route on legacy, default legacy
    if kind == "flask-routes":  # the case: the default left on legacy, which is down
        flipped = strangler(database_url, "routes", "set", "--all", "flask", "--no-shadow",
                            routes_file=routes_file)
        assert flipped.returncode == 0, flipped.stderr
    if kind == "flask":
        flipped = strangler(database_url, "routes", "set", "--all", "flask", "--default", "flask",
                            "--reason", "legacy goes", routes_file=routes_file)
        assert flipped.returncode == 0, flipped.stderr
        assert "default: legacy -> flask" in flipped.stdout, flipped.stdout
        # The README's command keeps legacy compared (``shadow: legacy``): nothing else of
        # the table needs legacy, and a candidate that is down never fails a request.
        checked = strangler(database_url, "routes", "check", "--without-legacy",
                            routes_file=routes_file)
        needs = checked.stdout.splitlines()[1:]
        assert needs and all(need.endswith("legacy is compared (shadow: legacy)")
                             for need in needs), checked.stdout + checked.stderr


@pytest.mark.parametrize("kind", ["flask", "flask-routes", "legacy", "shadowed"])
def test_spa_journey_through_the_proxy(
    kind: str, databases: DatabaseFactory, start_legacy: Callable[..., ServerProcess],
    spa: ServerProcess, browser, artifacts_dir: Path, tmp_path: Path,
) -> None:
    database = databases.create("postgresql")
    routes_file = tmp_path / "routes.yaml"
    _table(kind, routes_file, database)
    if kind.startswith("flask"):
        legacy_url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    else:
        legacy_url = start_legacy(database).url
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    proxy = proxy_process(routes_file, database, artifacts_dir, metrics, name=f"spa-proxy-{kind}",
                          LEGACY_URL=legacy_url, WEB_CONCURRENCY="1")
    log_start = proxy.log_path.stat().st_size if proxy.log_path.exists() else 0
    proxy.start()
    try:
        if kind.startswith("flask"):
            assert _refused(int(legacy_url.rsplit(":", 1)[1])), "a legacy process is running"
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        try:
            steps = journey(page, f"{spa.url}/index.html?api={proxy.url}/api")
        except BaseException:
            page.screenshot(path=str(artifacts_dir / f"spa-{kind}-failure.png"))
            raise
        finally:
            context.close()
        assert len(steps) >= 30, steps
        lines = [json.loads(line) for line in
                 proxy.log_path.read_bytes()[log_start:].decode(errors="replace").splitlines()
                 if line.startswith('{"request_id"')]
    finally:
        proxy.stop()

    served_by = "flask" if kind.startswith("flask") else "legacy"
    preflights = [line for line in lines if line["method"] == "OPTIONS"]
    # Chromium caches a preflight for 5 s (no Access-Control-Max-Age): still, many are sent.
    assert len(preflights) >= 5, lines
    assert {(p["status"], p["side"]) for p in preflights} == {(204, served_by)}, preflights
    assert {line["side"] for line in lines} == {served_by}, lines
    assert not [line for line in lines if line["status"] >= 500], lines
    preflighted = {line["route"] for line in preflights}
    assert {"POST /api/users", "PUT /api/user", "POST /api/articles",
            "DELETE /api/articles/:slug/comments/:comment_id"} <= preflighted, preflighted

    if kind == "shadowed":
        compared = [line for line in lines if line["route"] != "unmatched"]
        rows = wait_for_comparisons(database, len(compared), limit=60)
        outcomes: dict[str, int] = {}
        for row in rows:
            outcomes[row["outcome"]] = outcomes.get(row["outcome"], 0) + 1
        differences = [(row["route"], row["method"], row["outcome"], row.get("diff"))
                       for row in rows if row["outcome"] not in NOT_A_DIFFERENCE]
        assert not differences, (outcomes, differences)
        assert len(rows) == len(compared), outcomes


def journey(page, url: str) -> list[str]:
    """Drive the app through the journey; return the names of the steps that passed."""
    from playwright.sync_api import expect

    done: list[str] = []

    def step(name: str, action: Callable[[], None]) -> None:
        try:
            action()
            expect(page.locator("#error")).to_have_text("", timeout=2_000)
        except AssertionError as error:
            raise AssertionError(f"step {len(done) + 1} ({name}) failed after {done}; "
                                 f"the app says: {page.locator('#error').inner_text()!r}"
                                 ) from error
        done.append(name)

    def fill(form: str, **values: str) -> None:
        for name, value in values.items():
            page.locator(f"#{form} [name={name}]").fill(value)
        page.locator(f"#{form} button[type=submit]").click()

    def sign_up(name: str) -> None:
        page.get_by_role("link", name="Sign up").click()
        fill("register", username=name, email=f"{name}@example.test", password=PASSWORD)
        expect(page.locator("#me")).to_have_text(name)

    def log_out() -> None:
        page.locator("#logout").click()
        expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    def write(title: str, body: str, tags: str) -> None:
        page.get_by_role("link", name="New article").click()
        fill("editor", title=title, description=f"About {title}", body=body, tags=tags)
        expect(page.locator("#title")).to_have_text(title)

    def open_article(title: str) -> None:
        page.locator("#articles .title", has_text=title).click()
        expect(page.locator("#title")).to_have_text(title)

    def comment(text: str) -> None:
        fill("comment", body=text)
        expect(page.locator(".comment-body", has_text=text)).to_be_visible()

    def paging(text: str) -> None:
        expect(page.locator("#paging")).to_contain_text(text)

    articles = page.locator("#articles .preview")
    step("open the app (tags, global feed)", lambda: (
        page.goto(url), expect(page.locator("#articles")).to_contain_text("No articles")))
    step("sign up bob", lambda: sign_up("bob"))
    step("open settings", lambda: (
        page.get_by_role("link", name="Settings").click(),
        expect(page.locator("#settings [name=email]")).to_have_value("bob@example.test")))
    step("save a bio", lambda: (
        fill("settings", bio="I write about dragons"),
        expect(page.locator("#bio")).to_have_text("I write about dragons")))
    step("write an article with two tags",
         lambda: write("How to train your dragon", "Patiently.", "dragons training"))
    step("its tags show", lambda: expect(page.locator("#article-tags")).to_have_text(
        "dragons training"))
    step("write a second", lambda: write("Dragon diets", "Mostly sheep.", "dragons"))
    step("write a third", lambda: write("Cats", "They sleep.", "cats"))
    step("open the editor on it", lambda: (
        page.locator("#edit").click(),
        expect(page.locator("#editor [name=title]")).to_have_value("Cats")))
    step("edit its title and body", lambda: (
        fill("editor", title="Cats and kittens", body="They sleep a lot."),
        expect(page.locator("#title")).to_have_text("Cats and kittens"),
        expect(page.locator("#body")).to_have_text("They sleep a lot.")))
    step("log out", log_out)
    step("sign up alice", lambda: sign_up("alice"))
    step("global feed, page 1", lambda: (paging("page 1 of 2 (3 articles)"),
                                         expect(articles).to_have_count(2)))
    step("page 2", lambda: (page.locator("#next").click(), paging("page 2 of 2"),
                            expect(articles).to_have_count(1)))
    step("back to page 1", lambda: (page.locator("#prev").click(), paging("page 1 of 2")))
    step("the tags", lambda: expect(page.locator("#tags")).to_contain_text("dragons"))
    step("filter by a tag", lambda: (
        page.locator("#tags .tag", has_text="dragons").click(),
        paging("page 1 of 1 (2 articles)")))
    step("open an article", lambda: open_article("How to train your dragon"))
    step("favorite it", lambda: (page.locator("#favorite").click(),
                                 expect(page.locator("#favorite")).to_have_text("Unfavorite (1)")))
    step("follow its author", lambda: (page.locator("#follow").click(),
                                       expect(page.locator("#follow")).to_have_text(
                                           "Unfollow bob")))
    step("comment", lambda: comment("Great read"))
    step("comment again", lambda: comment("Oops, wrong article"))
    step("delete that comment", lambda: (
        page.locator(".comment", has_text="Oops").locator(".delete-comment").click(),
        expect(page.locator(".comment")).to_have_count(1)))
    step("your feed", lambda: (page.get_by_role("link", name="Home").click(),
                               page.locator("#your-feed").click(),
                               expect(page.locator("body")).to_have_attribute("data-view", "feed"),
                               paging("page 1 of 2 (3 articles)")))
    step("the author's profile", lambda: (
        page.goto(url + "#/profile/bob"),
        expect(page.locator("#bio")).to_have_text("I write about dragons"),
        expect(page.locator("#follow")).to_have_text("Unfollow bob")))
    step("unfollow", lambda: (page.locator("#follow").click(),
                              expect(page.locator("#follow")).to_have_text("Follow bob")))
    step("the feed is empty again", lambda: (
        page.goto(url + "#/feed/1"), expect(page.locator("#articles")).to_contain_text(
            "No articles")))
    step("write an article of one's own", lambda: write("Short-lived", "Gone soon.", ""))
    step("delete it", lambda: (page.locator("#delete-article").click(),
                               paging("(3 articles)")))
    step("log out", log_out)
    step("log in as bob", lambda: (
        page.get_by_role("link", name="Sign in").click(),
        fill("login", email="bob@example.test", password=PASSWORD),
        expect(page.locator("#me")).to_have_text("bob")))
    step("alice's comment and favorite are there", lambda: (
        page.locator("#tags .tag", has_text="training").click(),
        expect(page.locator(".preview", has_text="How to train")).to_contain_text(
            "(1 favorites)"),
        open_article("How to train your dragon"),
        expect(page.locator(".comment")).to_contain_text("Great read by alice")))
    step("delete an article", lambda: (
        page.get_by_role("link", name="Home").click(), open_article("Dragon diets"),
        page.locator("#delete-article").click(), paging("page 1 of 1 (2 articles)")))
    step("the tag of the deleted article stays", lambda: expect(page.locator("#tags"))
         .to_contain_text("dragons"))
    return done

"""Profiles and follows, on both sides."""

from __future__ import annotations

from tests.comparative.scenario import Scenario, Step


def test_profiles_and_follows(scenario: Scenario) -> None:
    s = scenario
    s.register("alice")
    s.register("bob")
    alice, bob = s.username("alice"), s.username("bob")
    s.run(
        Step("GET", f"/api/profiles/{bob}"),
        Step("GET", f"/api/profiles/{bob}", user="alice"),
        Step("GET", f"/api/profiles/{bob.upper()}"),
        Step("GET", "/api/profiles/nobody-here"),
        Step("GET", "/api/profiles/nul%00"),
        Step("POST", f"/api/profiles/{bob}/follow", user="alice"),
        Step("POST", f"/api/profiles/{bob}/follow", user="alice"),
        Step("GET", f"/api/profiles/{bob}", user="alice"),
        Step("GET", f"/api/profiles/{alice}", user="bob"),
        Step("POST", f"/api/profiles/{alice}/follow", user="alice"),
        Step("DELETE", f"/api/profiles/{alice}/follow", user="alice"),
        Step("GET", f"/api/profiles/{alice}", user="alice"),
        Step("POST", "/api/profiles/nobody-here/follow", user="alice"),
        Step("POST", f"/api/profiles/{bob}/follow"),
        Step("POST", "/api/profiles/nobody-here/follow"),
        Step("DELETE", f"/api/profiles/{bob}/follow", user="alice"),
        Step("DELETE", f"/api/profiles/{bob}/follow", user="alice"),
        Step("GET", f"/api/profiles/{bob}/", user="alice"),
        Step("PUT", f"/api/profiles/{bob}/follow", user="alice"),
        Step("POST", f"/API/PROFILES/{bob}/FOLLOW/", user="alice"),
        Step("DELETE", "/api/profiles/nobody-here/follow", user="alice"),
    )

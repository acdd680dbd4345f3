"""The fixtures work: a live server answers over real HTTP."""

import httpx


def test_live_server_answers(http: httpx.Client) -> None:
    r = http.get("/api/0/info")
    assert r.status_code == 200
    assert r.json()["hostname"] == "testhost"

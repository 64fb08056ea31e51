"""Call records through the API and the calls page: filters, paging, recordings."""

from __future__ import annotations

from datetime import datetime

import pytest

from firmware.store import queries

DAY1 = datetime(2024, 5, 1, 10, 0).timestamp()
DAY2 = datetime(2024, 5, 2, 10, 0).timestamp()


@pytest.fixture
def calls(db, users, data_dir):
    """Four closed calls over two days and one still going; the answered one has a recording."""
    agent = users["agent_row"]["id"]
    sales = queries.create_queue(db, "sales")["id"]
    support = queries.create_queue(db, "support")["id"]

    def call(caller, started, queue, outcome, answered_by=None):
        call_id = queries.open_call(db, caller, "555", started_at=started)
        queries.update_call(db, call_id, queue_id=queue, queued_at=started + 1)
        if answered_by:
            queries.update_call(db, call_id, agent_id=answered_by, answered_at=started + 11)
        if outcome:
            queries.close_call(db, call_id, outcome, "normal", ended_at=started + 71)
        return call_id

    ids = {
        "answered": call("0301111", DAY1, sales, "answered", agent),
        "abandoned": call("0302222", DAY1 + 60, sales, "abandoned"),
        "overflowed": call("0403333", DAY2, support, "overflowed"),
        "failed": call("0404444", DAY2 + 60, support, "failed"),
        "open": call("0405555", DAY2 + 120, sales, None),
    }
    (data_dir / "recordings").mkdir(exist_ok=True)
    (data_dir / "recordings" / "1.wav").write_bytes(b"RIFF....WAVEfmt fake")
    rec = queries.add_recording(db, ids["answered"], "recordings/1.wav", started_at=DAY1 + 11)
    queries.finish_recording(db, rec, 60.0, 20)
    queries.update_call(db, ids["answered"], recording_id=rec)
    return {"ids": ids, "sales": sales, "support": support, "agent": agent, "recording": rec}


@pytest.fixture
def api_get(client, token):
    headers = token("supervisor")  # supervisors read every call
    return lambda url: client.get(f"/api/v1{url}", headers=headers)


def _ids(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    return [c["id"] for c in response.get_json()["items"]]


def test_calls_newest_first_with_their_fields(api_get, calls):
    ids = calls["ids"]
    assert _ids(api_get("/calls")) == [ids["open"], ids["failed"], ids["overflowed"], ids["abandoned"],
                                       ids["answered"]]
    answered = api_get(f"/calls/{ids['answered']}").get_json()
    assert answered["caller"] == "0301111" and answered["callee"] == "555"
    assert answered["queue"] == "sales" and answered["agent"] == "1001"
    assert answered["wait_seconds"] == 10 and answered["talk_seconds"] == 60
    assert answered["outcome"] == "answered" and answered["cause"] == "normal"
    assert answered["recording_id"] == calls["recording"]
    assert answered["started_at"].endswith("Z")
    assert {"id", "caller", "callee", "queue", "agent", "started_at", "wait_seconds", "talk_seconds", "outcome",
            "cause", "recording_id"} <= set(answered)
    assert api_get(f"/calls/{ids['open']}").get_json()["outcome"] is None
    assert api_get("/calls/999").status_code == 404


def test_calls_filters(api_get, calls):
    ids = calls["ids"]
    assert _ids(api_get("/calls?outcome=abandoned")) == [ids["abandoned"]]
    assert _ids(api_get(f"/calls?queue_id={calls['support']}")) == [ids["failed"], ids["overflowed"]]
    assert _ids(api_get(f"/calls?agent_id={calls['agent']}")) == [ids["answered"]]
    assert _ids(api_get("/calls?caller=0404")) == [ids["failed"]]
    assert _ids(api_get("/calls?from=2024-05-02")) == [ids["open"], ids["failed"], ids["overflowed"]]
    assert _ids(api_get("/calls?to=2024-05-01")) == [ids["abandoned"], ids["answered"]]
    assert _ids(api_get(f"/calls?queue_id={calls['sales']}&outcome=answered")) == [ids["answered"]]


def test_calls_paging(api_get, calls):
    ids = calls["ids"]
    assert _ids(api_get("/calls?limit=2")) == [ids["open"], ids["failed"]]
    assert _ids(api_get("/calls?limit=2&offset=2")) == [ids["overflowed"], ids["abandoned"]]
    assert _ids(api_get("/calls?limit=2&offset=4")) == [ids["answered"]]


@pytest.mark.parametrize("query, field", [
    ("outcome=lost", "outcome"), ("queue_id=sales", "queue_id"), ("limit=501", "limit"), ("limit=0", "limit"),
    ("offset=-1", "offset"), ("from=yesterday", "from"), ("to=2024-13-01", "to"),
])
def test_bad_call_filters_are_refused(api_get, users, query, field):
    response = api_get(f"/calls?{query}")
    assert response.status_code == 400
    assert response.get_json()["error"].startswith(f"{field}:")


def test_recordings_metadata_and_audio(api_get, calls):
    rec = calls["recording"]
    meta = api_get(f"/recordings/{rec}").get_json()
    assert meta["call_id"] == calls["ids"]["answered"] and meta["duration_seconds"] == 60.0
    assert "path" not in meta
    audio = api_get(f"/recordings/{rec}/audio")
    assert audio.status_code == 200 and audio.mimetype == "audio/wav"
    assert audio.data == b"RIFF....WAVEfmt fake"
    assert api_get("/recordings/999").status_code == 404
    assert api_get("/recordings/999/audio").status_code == 404


def test_a_recording_outside_the_data_directory_is_never_served(api_get, calls, db):
    db.execute("UPDATE recordings SET path = '../../etc/passwd'")
    assert api_get(f"/recordings/{calls['recording']}/audio").status_code == 404


def test_an_agent_lists_only_the_calls_they_answered(client, auth, token, calls):
    """Issue 12, item 10: an agent's call list holds their own calls, whatever the filter asks."""
    auth.login("ann")
    page = client.get("/calls").get_data(as_text=True)
    assert "0301111" in page and not any(c in page for c in ("0302222", "0403333", "0404444", "0405555"))
    assert "0302222" not in client.get("/calls?outcome=abandoned").get_data(as_text=True)
    # An agent-role token answers calls as nobody: it lists none.
    assert client.get("/api/v1/calls", headers=token("agent")).get_json()["items"] == []


def test_the_calls_page_lists_filters_and_links_the_recording(client, auth, calls):
    auth.login("super")
    page = client.get("/calls").get_data(as_text=True)
    for caller in ("0301111", "0302222", "0403333", "0404444", "0405555"):
        assert caller in page
    assert f'/recordings/{calls["recording"]}/audio' in page
    filtered = client.get(f"/calls?outcome=abandoned&queue_id={calls['sales']}").get_data(as_text=True)
    assert "0302222" in filtered and "0301111" not in filtered
    dated = client.get("/calls?from=2024-05-02&to=2024-05-02&caller=0404").get_data(as_text=True)
    assert "0404444" in dated and "0403333" not in dated and "0301111" not in dated
    download = client.get(f"/recordings/{calls['recording']}/audio")
    assert download.status_code == 200 and download.mimetype == "audio/wav"
    assert "attachment" in download.headers["Content-Disposition"]
    assert client.get("/calls?outcome=lost").status_code == 400


def test_the_calls_page_pages(client, auth, calls, app):
    app.config["CALLS_PAGE_SIZE"] = 2
    auth.login()
    first = client.get("/calls?outcome=").get_data(as_text=True)
    assert "0405555" in first and "0404444" in first and "0403333" not in first
    assert "page 1 of 3" in first and 'rel="next"' in first and 'rel="prev"' not in first
    last = client.get("/calls?page=3").get_data(as_text=True)
    assert "0301111" in last and 'rel="prev"' in last and 'rel="next"' not in last

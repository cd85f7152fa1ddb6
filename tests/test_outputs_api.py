"""The outputs API refuses what it cannot deliver, with a reason, and never shows a URL's secrets."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from service.outputs.destinations import (Caption, check_url, masked, server_time, webhook_request, youtube_request,
                                          youtube_time, zoom_request)

ZOOM = "https://wmcc.zoom.us/closedcaption?id=200610693&ns=GZHkEA==&expire=86400&sparams=id%2Cns%2Cexpire&signature=nYtXJqRKCWabcdef"
YOUTUBE = "http://upload.youtube.com/closedcaption?cid=abcd-efgh-ijkl-mnop"


def _caption(seq: int = 7, text: str = "Mr. President,  the floor is yours.") -> Caption:
    event = {"type": "final", "seq": seq, "session_id": "S", "channel": "floor", "segment_id": "S.floor.1",
             "lang": "en", "text": text, "start": 1.0, "end": 2.5, "words": [], "speaker": None}
    return Caption(event, spoken_at=1_700_000_000.1234)


def test_zoom_posts_carry_seq_and_a_country_tagged_lang():
    request = zoom_request(ZOOM, 3, "es", _caption())
    assert request.url == ZOOM + "&seq=3&lang=es-ES"
    assert zoom_request("https://example.org/cc", 1, "zh", _caption()).url == "https://example.org/cc?seq=1&lang=zh-CN"
    assert request.headers["Content-Type"] == "text/plain"
    assert request.body.decode() == "Mr. President, the floor is yours."


def test_youtube_body_is_a_utc_time_line_and_a_text_line_per_caption():
    assert youtube_time(0.5) == "1970-01-01T00:00:00.500"
    request = youtube_request(YOUTUBE, 12, [_caption(1, "one"), _caption(2, "two")], [1_700_000_002.1234, 1_700_000_003.5])
    assert request.url == YOUTUBE + "&seq=12"
    assert request.body.decode() == "2023-11-14T22:13:22.123\none\n2023-11-14T22:13:23.500\ntwo\n"
    assert server_time(b"2023-11-14T22:13:20.123\n") == pytest.approx(1_700_000_000.123)
    assert server_time(b"<html>ok</html>") is None


def test_webhook_body_is_the_protocol_final_and_its_signature_verifies():
    request = webhook_request("https://hooks.example.org/fc", 4, "out_1", "s3cret", _caption())
    expected = "sha256=" + hmac.new(b"s3cret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Floorcast-Signature"] == expected
    assert request.headers["X-Floorcast-Delivery"] == "out_1:4"
    assert b'"type":"final"' in request.body and b'"seq":7' in request.body


@pytest.mark.parametrize("url, reason", [
    ("ftp://example.org/cc", "http"), ("https:///cc", "host"), ("https://exa mple.org/cc", "spaces"),
    ("https://user:pw@example.org/cc", "password"), ("https://example.org/cc#x", "fragment"),
    (ZOOM + "&seq=4", "seq"), ("https://example.org/" + "a" * 2100, "longer"), ("https://example.org/\x00", "control"),
])
def test_bad_urls_are_refused_with_what_is_wrong(url, reason):
    with pytest.raises(ValueError, match=reason):
        check_url(url)


def test_masked_urls_keep_the_host_and_hide_the_credentials():
    shown = masked(ZOOM)
    assert shown.startswith("https://wmcc.zoom.us/closedcaption?id=200610693&ns=GZHkEA==")
    assert "nYtXJqRKCWabcdef" not in shown and "signature=nYtX…" in shown
    assert "abcd-efgh-ijkl-mnop" not in masked(YOUTUBE)
    assert "XXXXXXXXXXXXXXXXXXXXXXXX" not in masked("https://hooks.example.org/services/T0/B0/XXXXXXXXXXXXXXXXXXXXXXXX")


# -- the routes, on the real server --------------------------------------------------------------------------
def _post(server, session_id: str, body: dict, token: str | None = None):
    with server.http() as client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.post(f"/v1/sessions/{session_id}/outputs", json=body, headers=headers)


def _token(server, role: str, session_id: str | None = None) -> str:
    with server.http() as client:
        answer = client.post("/v1/tokens", json={"role": role, **({"session_id": session_id} if session_id else {})})
    assert answer.status_code == 201, answer.text
    return answer.json()["token"]


@pytest.mark.model
def test_outputs_api_refuses_bad_kinds_urls_languages_and_roles(server):
    session = server.create_session(title="outputs api", translation_languages=["fr"])
    sid = session["id"]
    cases = [({"kind": "teams", "url": ZOOM, "language": "en"}, 422, "kind"),
             ({"kind": "zoom", "url": "ftp://x.org/cc", "language": "en"}, 422, "http"),
             ({"kind": "zoom", "url": ZOOM + "&seq=1", "language": "en"}, 422, "seq"),
             ({"kind": "youtube", "url": YOUTUBE, "language": "de"}, 422, "not one this session has"),
             ({"kind": "youtube", "url": YOUTUBE, "language": "english"}, 422, "language"),
             ({"kind": "youtube", "url": YOUTUBE, "language": "en", "extra": 1}, 422, "extra")]
    for body, code, reason in cases:
        answer = _post(server, sid, body)
        assert answer.status_code == code, (body, answer.text)
        assert reason in answer.text, (body, answer.text)
    assert _post(server, "NOSUCHID", {"kind": "zoom", "url": ZOOM, "language": "en"}).status_code == 404
    for role in ("viewer", "captioner"):
        refused = _post(server, sid, {"kind": "zoom", "url": ZOOM, "language": "en"}, token=_token(server, role, sid))
        assert refused.status_code == 403, refused.text
    staff = _token(server, "staff")
    made = _post(server, sid, {"kind": "zoom", "url": ZOOM, "language": "fr"}, token=staff)
    assert made.status_code == 201, made.text
    output = made.json()
    assert output["kind"] == "zoom" and output["language"] == "fr" and output["seq"] == 0
    assert "nYtXJqRKCWabcdef" not in made.text and "secret" not in output
    hook = _post(server, sid, {"kind": "webhook", "url": "https://hooks.example.org/fc", "language": "en"}).json()
    assert len(hook["secret"]) >= 40
    with server.http() as client:
        captioner = {"Authorization": f"Bearer {_token(server, 'captioner', sid)}"}
        listed = client.get(f"/v1/sessions/{sid}/outputs", headers=captioner)
        assert listed.status_code == 200 and [o["id"] for o in listed.json()] == [output["id"], hook["id"]]
        assert all("secret" not in o for o in listed.json()) and "nYtXJqRKCWabcdef" not in listed.text
        assert client.delete(f"/v1/sessions/{sid}/outputs/out_nosuch").status_code == 404
        stopped = client.delete(f"/v1/sessions/{sid}/outputs/{output['id']}")
        assert stopped.status_code == 200 and stopped.json()["status"] == "stopped"
        assert client.post(f"/v1/sessions/{sid}/end").status_code == 200
        late = _post(server, sid, {"kind": "zoom", "url": ZOOM, "language": "en"})
        assert late.status_code == 409 and "ended" in late.text
        after = {o["id"]: o["status"] for o in client.get(f"/v1/sessions/{sid}/outputs").json()}
        assert after == {output["id"]: "stopped", hook["id"]: "ended"}

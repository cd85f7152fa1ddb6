"""Rejected utterances are reported by reason: in the channel status and in /metrics."""

from __future__ import annotations

from types import SimpleNamespace

from service.metrics import _recognition
from service.protocol import ChannelSpec
from service.channel_state import ChannelState


def test_channel_status_keeps_reasons_of_clients_that_left():
    channel = ChannelState(spec=ChannelSpec(name="floor"))
    channel.totals["rejected"] = 3
    channel.rejected_reasons = {"no-speech": 2, "silence-phrase": 1}
    public = channel.public()
    assert public.rejected == 3
    assert public.rejected_reasons == {"no-speech": 2, "silence-phrase": 1}
    assert public.model_dump()["rejected_reasons"] == {"no-speech": 2, "silence-phrase": 1}


def test_metrics_count_rejections_per_session_channel_and_reason():
    channel = ChannelState(spec=ChannelSpec(name="booth-fr", language="fr"))
    channel.totals["rejected"] = 2
    channel.rejected_reasons = {"compression-ratio": 2}
    session = SimpleNamespace(id="S1", status="live", channels={"booth-fr": channel})
    families = {f.name: f for f in _recognition([session])}
    samples = families["floorcast_recognition_rejected_utterances"].samples
    assert [(s.labels, s.value) for s in samples] == [
        ({"session": "S1", "channel": "booth-fr", "reason": "compression-ratio"}, 2)]

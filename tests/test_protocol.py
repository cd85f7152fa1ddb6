"""Wire types: JSON Schemas generate, and the models accept and refuse what the protocol says."""

from __future__ import annotations

import importlib
import json

import pytest
from pydantic import ValidationError

from service.protocol import (
    ChannelSpec,
    FinalEvent,
    PartialEvent,
    SessionCreate,
    StartMessage,
    StopMessage,
    caption_event_adapter,
    ingest_message_adapter,
    json_schemas,
)


def test_json_schemas_generate_for_every_wire_message():
    schemas = json_schemas()
    assert set(schemas) == {"SessionCreate", "SessionPublic", "SessionUpdate", "StartMessage", "StopMessage",
                            "SpeakerMessage", "ReadyEvent", "StoppedEvent", "PartialEvent", "FinalEvent",
                            "CorrectionEvent", "RecordEvent", "SessionEndedEvent", "ClockEvent", "PongEvent"}
    for name, schema in schemas.items():
        assert schema["type"] == "object", name
        assert schema["properties"], name
        json.dumps(schema)  # serialisable as published in docs/
    assert {"seq", "segment_id", "text", "stable"} <= set(schemas["PartialEvent"]["properties"])
    assert "words" in schemas["FinalEvent"]["properties"]
    rate = schemas["StartMessage"]["properties"]["sample_rate"]
    assert (rate["minimum"], rate["maximum"]) == (8000, 48000)


@pytest.mark.parametrize("name", ["floor", "booth-fr", "booth_ar", "0", "a" * 32])
def test_channel_names_accepted(name):
    assert ChannelSpec(name=name).name == name


@pytest.mark.parametrize("name", ["", "Floor", "booth fr", "booth/fr", "-floor", "_x", "a" * 33, "émission",
                                  "floor\n"])
def test_channel_names_rejected(name):
    with pytest.raises(ValidationError, match="channel names are 1-32 characters"):
        ChannelSpec(name=name)


@pytest.mark.parametrize("language", ["FR", "french", "f", "fr-FR"])
def test_booth_language_must_be_a_language_code(language):
    with pytest.raises(ValidationError):
        ChannelSpec(name="booth", language=language)


def test_session_create_defaults_to_one_floor_channel():
    spec = SessionCreate()
    assert [c.name for c in spec.channels] == ["floor"]
    assert spec.channels[0].language is None


def test_session_create_refuses_duplicate_channels_unknown_fields_and_no_channels():
    with pytest.raises(ValidationError, match="channel names must be unique"):
        SessionCreate(channels=[ChannelSpec(name="floor"), ChannelSpec(name="floor")])
    with pytest.raises(ValidationError):
        SessionCreate.model_validate({"title": "x", "colour": "red"})
    with pytest.raises(ValidationError):
        SessionCreate(channels=[])


@pytest.mark.parametrize("message", [
    {"type": "start", "encoding": "opus"},
    {"type": "start", "sample_rate": 4000},
    {"type": "start", "sample_rate": 96000},
    {"type": "start", "channels": 0},
    {"type": "start", "channels": 9},
    {"type": "start", "bitrate": 64},
    {"type": "pause"},
    {"kind": "start"},
])
def test_ingest_messages_rejected(message):
    with pytest.raises(ValidationError):
        ingest_message_adapter.validate_python(message)


def test_ingest_messages_accepted_with_defaults():
    start = ingest_message_adapter.validate_python({"type": "start"})
    assert isinstance(start, StartMessage)
    assert (start.encoding, start.sample_rate, start.channels) == ("pcm_s16le", 16000, 1)
    assert isinstance(ingest_message_adapter.validate_python({"type": "stop"}), StopMessage)


def test_caption_events_round_trip():
    final = {"type": "final", "seq": 7, "session_id": "s", "channel": "floor", "segment_id": "s.floor.1",
             "lang": "en", "text": "Ask not.", "start": 1.0, "end": 2.0,
             "words": [{"word": "Ask", "start": 1.0, "end": 1.4, "probability": 0.9},
                       {"word": "not.", "start": 1.4, "end": 2.0, "probability": 0.8}]}
    parsed = caption_event_adapter.validate_python(final)
    assert isinstance(parsed, FinalEvent)
    assert parsed.model_dump(exclude_none=True) == final
    translated = {**final, "lang": "fr", "words": [], "source_lang": "en", "translated": True, "engine": "apertium",
                  "speaker": "Chair"}
    assert caption_event_adapter.validate_python(translated).model_dump(exclude_none=True) == translated
    partial = {**{k: v for k, v in final.items() if k != "words"}, "type": "partial", "stable": 3}
    assert isinstance(caption_event_adapter.validate_python(partial), PartialEvent)


MODULES = [
    "models.catalog", "models.provisioning", "models.recognizer.policy", "models.recognizer.guards",
    "models.recognizer.language", "models.recognizer.streamer", "models.recognizer.decoder",
    "models.recognizer.vad", "models.recognizer.worker", "models.recognizer.events", "service.app",
    "service.protocol", "service.sessions", "service.ingest_ws", "service.captions_ws", "service.fanout",
    "service.auth", "service.audio_in", "service.settings", "service.routes_sessions",
    "models.recognizer.factory", "service.wire_events", "service.delivered", "service.session_errors",
    "service.session_conversions", "service.session_services", "service.session_registry", "service.channel_state",
]


@pytest.mark.parametrize("module_name", MODULES)
def test_every_module_exports_what_it_declares(module_name):
    module = importlib.import_module(module_name)
    assert module.__all__, module_name
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing, f"{module_name}.__all__ names missing attributes: {missing}"


def test_protocol_doc_embeds_the_current_schemas():
    """docs/protocol.md is regenerated from service/protocol.py; a stale copy fails here."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    result = subprocess.run([sys.executable, "docs/gen_protocol.py", "--check"], cwd=root,
                            capture_output=True, text=True, env={"PYTHONPATH": str(root)})
    assert result.returncode == 0, result.stdout + result.stderr

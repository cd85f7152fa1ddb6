"""Settings that are a closed set refuse a typo at start-up, naming the variable, instead of running defaults."""

from __future__ import annotations

import os
import subprocess

import pytest
from pydantic import ValidationError

from service.settings import Settings, settings_problems
from support import REPO_ROOT, floorcast_command


@pytest.mark.parametrize(("field", "value"), [("recognizer_policy", "vda"), ("decode_window", "wide"),
                                              ("environment", "prod")])
def test_a_mistyped_closed_setting_is_refused_with_its_variable_name(field, value):
    with pytest.raises(ValidationError) as caught:
        Settings(**{field: value})
    [line] = settings_problems(caught.value)
    assert line.startswith(f"FLOORCAST_{field.upper()}: Input should be ")
    assert repr(value) in line


def test_the_accepted_values_still_load():
    settings = Settings(recognizer_policy="naive", decode_window="full", environment="development")
    assert (settings.recognizer_policy, settings.decode_window) == ("naive", "full")


def test_floorcast_serve_exits_2_on_a_mistyped_policy_before_loading_anything(tmp_path):
    env = {**os.environ, "FLOORCAST_RECOGNIZER_POLICY": "vda", "FLOORCAST_DATA_DIR": str(tmp_path)}
    result = subprocess.run([*floorcast_command(), "serve", "--port", "0"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "floorcast: FLOORCAST_RECOGNIZER_POLICY: Input should be 'vad' or 'naive' (got 'vda')" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["https://webcast.example.org/player", "webcast.example.org", "self"])
def test_an_overlay_frame_ancestor_that_is_not_an_origin_is_refused(value):
    with pytest.raises(ValidationError) as caught:
        Settings(overlay_frame_ancestors=value)
    [line] = settings_problems(caught.value)
    assert line.startswith("FLOORCAST_OVERLAY_FRAME_ANCESTORS: ") and repr(value) in line, line


def test_overlay_frame_ancestors_take_a_list_of_origins():
    settings = Settings(overlay_frame_ancestors="https://a.example.org, 'self'")
    assert settings.overlay_frame_ancestors == ["https://a.example.org", "'self'"]

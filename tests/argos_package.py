"""Build tiny, real Argos Translate packages for the tests (no download, no torch).

A package is what argostranslate installs: a zip (``.argosmodel``) of one folder holding
``metadata.json``, a SentencePiece ``sentencepiece.model`` and a CTranslate2 Transformer in ``model/``.
Here the SentencePiece model is trained on a few hundred UN Parallel Corpus sentences of both languages
(inline sentences when the corpus is absent), and the Transformer (2 layers, d_model 64) is written with
CTranslate2's spec API from deterministic numpy weights.

The weights are arranged so that decoding is cheap and depends on the input, although the output means
nothing: self-attention and feed-forward blocks are zero, so the decoder state is the previous token's
embedding plus the (uniform) cross-attention summary of the source. The output projection makes every
target token predict a fixed successor, and chains of 1 to 6 target-language pieces end in ``</s>``; the
first piece is picked by the source summary. Every output is therefore a short string of pieces seen in
target-language text, different for different inputs, the same for the same input.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["build_package_dir", "build_argosmodel", "FALLBACK_SENTENCES"]

D_MODEL = 64
FFN = 128
LAYERS = 2
HEADS = 4
VOCAB = 600
CORPUS_LINES = 600

FALLBACK_SENTENCES = {
    "en": ["The meeting is open.", "Member States shall vote on the draft resolution.",
           "The Plenipotentiary Conference elected the Secretary-General.", "I give the floor to the delegate."],
    "fr": ["La séance est ouverte.", "Les États Membres voteront sur le projet de résolution.",
           "La Conférence de plénipotentiaires a élu le Secrétaire général.", "Je donne la parole au délégué."],
    "es": ["Se abre la sesión.", "Los Estados Miembros votarán sobre el proyecto de resolución.",
           "La Conferencia de Plenipotenciarios eligió al Secretario General.", "Doy la palabra al delegado."],
}


def _sentences(code: str, corpus_dir: Path | None) -> list[str]:
    path = corpus_dir / f"UNv1.0.devset.{code}" if corpus_dir else None
    if path is not None and path.is_file():
        with path.open(encoding="utf-8") as lines:
            return [line.strip() for _, line in zip(range(CORPUS_LINES), lines) if line.strip()]
    return FALLBACK_SENTENCES.get(code, FALLBACK_SENTENCES["en"]) * 50


def _train_sentencepiece(sentences: list[str]) -> bytes:
    import sentencepiece as spm

    model = io.BytesIO()
    # Every character must fit in the vocabulary: Chinese text brings well over a thousand of them.
    characters = len(set("".join(sentences)))
    spm.SentencePieceTrainer.train(sentence_iterator=iter(sentences), model_writer=model,
                                   vocab_size=max(VOCAB, characters + 100), model_type="unigram",
                                   character_coverage=1.0, hard_vocab_limit=False, minloglevel=2)
    return model.getvalue()


def _unit_rows(rng: np.random.Generator, rows: int, dims: slice) -> np.ndarray:
    """Random unit vectors living in ``dims`` of the model dimension only."""
    m = np.zeros((rows, D_MODEL))
    m[:, dims] = rng.standard_normal((rows, dims.stop - dims.start))
    return m / np.linalg.norm(m, axis=1, keepdims=True)


# The decoder state is split in two: the source summary and the choice of the first piece live in the first
# half, the chain of pieces (and the end of sentence) in the second. At position 0 the sinusoidal position
# encoding is 0 in the first half and 1 in the second, which the embedding of <s> cancels.
SUMMARY, CHAIN = slice(0, D_MODEL // 2), slice(D_MODEL // 2, D_MODEL)


def _transformer_spec(vocab: list[str], target_ids: list[int], seed: int):
    from ctranslate2.specs import model_spec, transformer_spec

    rng = np.random.default_rng(seed)
    size, eos = len(vocab), vocab.index("</s>")
    spec = transformer_spec.TransformerSpec.from_config(LAYERS, HEADS)

    spec.encoder.embeddings[0].weight = rng.standard_normal((size, D_MODEL)).astype(np.float32)
    # Decoder embeddings: unit rows times 4 (x sqrt(d) = 32, far above the source summary and positions).
    dec = _unit_rows(rng, size, CHAIN) * 4.0
    eos_direction = _unit_rows(rng, 1, CHAIN)[0]
    dec[vocab.index("<s>")] = 0.0
    dec[vocab.index("<s>"), CHAIN] = -1.0 / np.sqrt(D_MODEL)  # cancels the position-0 encoding
    order = list(rng.permutation(target_ids))
    chains: list[list[int]] = []
    while order:
        length = int(rng.integers(1, 7))
        chains.append(order[:length])
        order = order[length:]
    projection = _unit_rows(rng, size, CHAIN) * 0.5  # tokens outside the chains: weak, never chosen
    heads = _unit_rows(rng, len(chains), SUMMARY)
    for chain, head in zip(chains, heads):
        projection[chain[0]] = head * 12.0
        for previous, following in zip(chain, chain[1:]):
            projection[following] = dec[previous] / 4.0 * 12.0
        tail = chain[-1]  # the last piece of a chain leans toward the end-of-sentence direction
        mixed = dec[tail] / 4.0 * 0.6 + eos_direction * 0.8
        dec[tail] = mixed / np.linalg.norm(mixed) * 4.0
    projection[eos] = eos_direction * 12.0
    spec.decoder.embeddings.weight = dec.astype(np.float32)
    spec.decoder.projection.weight = projection.astype(np.float32)
    for layer in spec.decoder.layer:  # cross-attention: uniform (zero queries), values carry the source
        kv = np.zeros((2 * D_MODEL, D_MODEL), np.float32)
        kv[D_MODEL:] = rng.standard_normal((D_MODEL, D_MODEL)) * 0.5
        out = np.zeros((D_MODEL, D_MODEL), np.float32)
        out[SUMMARY] = rng.standard_normal((D_MODEL // 2, D_MODEL)) * 0.3
        layer.attention.linear[1].weight = kv
        layer.attention.linear[2].weight = out

    def identity_norms(layer, name, value):
        if value is None and name.endswith(("gamma", "beta")):
            leaf = name.rsplit("/", 1)[-1]
            setattr(layer, leaf, (np.ones if leaf == "gamma" else np.zeros)(D_MODEL, np.float32))

    model_spec.visit_spec(spec, identity_norms)
    _fill_zeros(spec)
    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)
    return spec


def _fill_zeros(spec) -> None:
    """Zero every remaining weight matrix, shaped as CTranslate2 expects."""
    d = D_MODEL
    for stack in (spec.encoder.layer, spec.decoder.layer):
        for layer in stack:
            layer.self_attention.linear[0].weight = np.zeros((3 * d, d), np.float32)
            layer.self_attention.linear[1].weight = np.zeros((d, d), np.float32)
            layer.ffn.linear_0.weight = np.zeros((FFN, d), np.float32)
            layer.ffn.linear_1.weight = np.zeros((d, FFN), np.float32)
    for layer in spec.decoder.layer:
        layer.attention.linear[0].weight = np.zeros((d, d), np.float32)


def _convert(spec, output_dir: Path) -> None:
    from ctranslate2.converters import Converter

    class SpecConverter(Converter):
        def _load(self):
            return spec

    SpecConverter().convert(str(output_dir), force=True)


def build_package_dir(from_code: str, to_code: str, parent: Path, *, corpus_dir: Path | None = None,
                      version: str = "1.0", seed: int = 0) -> Path:
    """An unpacked package folder ``parent/translate-<from>_<to>-<version>``."""
    import sentencepiece as spm

    folder = Path(parent) / f"translate-{from_code}_{to_code}-{version.replace('.', '_')}"
    (folder / "model").mkdir(parents=True, exist_ok=True)
    source, target = _sentences(from_code, corpus_dir), _sentences(to_code, corpus_dir)
    sp_bytes = _train_sentencepiece(source + target)
    (folder / "sentencepiece.model").write_bytes(sp_bytes)
    processor = spm.SentencePieceProcessor(model_proto=sp_bytes)
    vocab = [processor.id_to_piece(i) for i in range(processor.get_piece_size())]
    reserved = {"<unk>", "<s>", "</s>"}
    target_ids = sorted({i for line in target for i in processor.encode(line)} - {vocab.index(r) for r in reserved})
    _convert(_transformer_spec(vocab, target_ids, seed), folder / "model")
    metadata = {"package_version": version, "argos_version": "1.9", "from_code": from_code, "from_name": from_code,
                "to_code": to_code, "to_name": to_code, "type": "translate",
                "links": [], "description": "floorcast test package: meaningless output"}
    (folder / "metadata.json").write_text(json.dumps(metadata, indent=2), encoding="utf-8")
    (folder / "README.md").write_text("Test package built by tests/argos_package.py.\n", encoding="utf-8")
    return folder


def build_argosmodel(from_code: str, to_code: str, parent: Path, **kwargs) -> Path:
    """A ``.argosmodel`` zip of :func:`build_package_dir`'s folder, beside it."""
    folder = build_package_dir(from_code, to_code, Path(parent) / "unpacked", **kwargs)
    archive = Path(parent) / f"{folder.name}.argosmodel"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in sorted(folder.rglob("*")):
            zipped.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
    return archive

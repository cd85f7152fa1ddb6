"""Thin adapter over faster-whisper's CTranslate2 Whisper: audio in, words out.

The adapter exposes the three operations the streaming policy needs, each a
single call into CTranslate2 and none touching the event loop:

* :meth:`WhisperDecoder.encode` — log-mel features through the encoder. With
  ``window="tight"`` the encoder sees only the utterance (rounded up to
  ``tight_round_s``); with ``"full"`` it sees Whisper's padded 30 s window.
  The encoder dominates the cost of a short decode, so the tight window is what
  makes re-decoding an utterance every second affordable on 2 cores.
* :meth:`WhisperDecoder.language_probs` — one decoder step, restricted to an
  allowed set of languages.
* :meth:`WhisperDecoder.decode` — greedy (or beam) decoding at temperature 0,
  optionally continuing a forced ``prefix`` (the caption text already promised
  stable) and conditioned on a glossary ``prompt``; word timestamps by
  cross-attention alignment when asked; ``task="translate"`` gives Whisper's
  own English translation of the speech instead.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import ctranslate2
    from faster_whisper import WhisperModel

__all__ = ["Word", "Hypothesis", "Encoded", "WhisperDecoder", "SAMPLE_RATE_HZ"]

SAMPLE_RATE_HZ = 16_000
FRAMES_PER_S = 100  # log-mel hop of 10 ms
MAX_FRAMES = 3000


@dataclass(frozen=True)
class Word:
    text: str  # as Whisper spells it, with its leading space
    start_s: float
    end_s: float
    probability: float


@dataclass
class Hypothesis:
    text: str
    language: str
    tokens: list[int]
    avg_logprob: float
    no_speech_prob: float
    words: list[Word] = field(default_factory=list)
    prefix_text: str = ""  # the forced prefix this hypothesis continues
    continuation: str = ""  # the text decoded after the prefix


@dataclass
class Encoded:
    output: "ctranslate2.StorageView"
    num_frames: int  # frames that hold real audio (for alignment)
    duration_s: float


class WhisperDecoder:
    """One loaded Whisper model, shared by every channel of the process.

    CTranslate2 releases the GIL while it computes; ``lock`` serialises calls
    so that two channels on two cores do not each get half a core per call.
    """

    def __init__(self, model: "WhisperModel", *, name: str, window: str = "tight", tight_round_s: float = 5.0,
                 tight_pad_s: float = 1.0) -> None:
        if window not in ("tight", "full"):
            raise ValueError("window must be 'tight' or 'full'")
        self._model = model
        self.name = name
        self.window = window
        self.tight_round_s = tight_round_s
        self.tight_pad_s = tight_pad_s
        self.multilingual = bool(model.model.is_multilingual)
        self.lock = threading.Lock()
        from faster_whisper.tokenizer import Tokenizer

        self._tokenizers: dict[str, Tokenizer] = {}
        self._tokenizer_cls = Tokenizer

    @classmethod
    def load(cls, path: Path | str, *, name: str, cpu_threads: int = 2, window: str = "tight",
             compute_type: str = "int8", local_files_only: bool = True) -> "WhisperDecoder":
        from models.recognizer.loading import load_whisper

        model = load_whisper(path, cpu_threads=cpu_threads, compute_type=compute_type, local_files_only=local_files_only)
        return cls(model, name=name, window=window)

    @property
    def languages(self) -> list[str]:
        return list(self._model.supported_languages)

    def tokenizer(self, language: str, task: str = "transcribe") -> "object":
        tok = self._tokenizers.get((language, task))
        if tok is None:
            tok = self._tokenizer_cls(self._model.hf_tokenizer, self.multilingual, task=task,
                                      language=language if self.multilingual else "en")
            self._tokenizers[(language, task)] = tok
        return tok

    # -- encoder ---------------------------------------------------------
    def encode(self, audio: np.ndarray, *, window: str | None = None) -> Encoded:
        audio = np.asarray(audio, dtype=np.float32)
        features = self._model.feature_extractor(audio, padding=0)
        num_frames = min(int(features.shape[-1]), MAX_FRAMES)
        if (window or self.window) == "full":
            width = MAX_FRAMES
        else:
            step = max(2, int(self.tight_round_s * FRAMES_PER_S))
            wanted = num_frames + int(self.tight_pad_s * FRAMES_PER_S)
            width = min(MAX_FRAMES, max(step, -(-wanted // step) * step))
        feats = np.zeros((features.shape[0], width), dtype=np.float32)
        feats[:, :num_frames] = features[:, :num_frames]
        with self.lock:
            output = self._model.encode(feats)
        return Encoded(output=output, num_frames=num_frames, duration_s=len(audio) / SAMPLE_RATE_HZ)

    # -- language identification -----------------------------------------
    def language_probs(self, encoded: Encoded, allowed: Iterable[str]) -> dict[str, float]:
        """Probabilities of the allowed languages (not renormalised)."""
        allowed = set(allowed)
        if not self.multilingual:
            return {"en": 1.0}
        with self.lock:
            results = self._model.model.detect_language(encoded.output)[0]
        probs = {token[2:-2]: float(p) for token, p in results}
        return {lang: probs.get(lang, 0.0) for lang in allowed}

    # -- decoding --------------------------------------------------------
    def decode(self, encoded: Encoded, *, language: str, prefix: str = "", prompt: str = "",
               beam_size: int = 1, word_timestamps: bool = False, max_new_tokens: int | None = None,
               task: str = "transcribe") -> Hypothesis:
        """``task="translate"``: Whisper's own speech translation, English text (no word timings)."""
        from faster_whisper.transcribe import get_suppressed_tokens

        tok = self.tokenizer(language, task)
        prompt_tokens: list[int] = []
        if prompt.strip():
            prompt_tokens = [tok.sot_prev] + tok.encode(" " + prompt.strip())[-200:]
        prefix_tokens = tok.encode(" " + prefix.strip()) if prefix.strip() else []
        full_prompt = prompt_tokens + list(tok.sot_sequence) + [tok.no_timestamps] + prefix_tokens
        # Bound generation by what can be said in the window: a hallucination loop
        # then costs a bounded time instead of 448 decoder steps.
        budget = int(16 + 8 * encoded.duration_s)
        if max_new_tokens is not None:
            budget = min(budget, max_new_tokens)
        max_length = min(448, len(full_prompt) + budget)
        with self.lock:
            result = self._model.model.generate(
                encoded.output, [full_prompt], beam_size=beam_size, max_length=max_length,
                return_scores=True, return_no_speech_prob=True, suppress_blank=not prefix_tokens,
                suppress_tokens=get_suppressed_tokens(tok, [-1]), max_initial_timestamp_index=0,
            )[0]
        tokens = [t for t in result.sequences_ids[0] if t < tok.eot]
        if prefix_tokens and tokens[: len(prefix_tokens)] == prefix_tokens:
            tokens = tokens[len(prefix_tokens):]  # CTranslate2 returns the forced prefix too
        seq_len = len(tokens)
        score = result.scores[0] if result.scores else 0.0
        avg_logprob = float(score) * (seq_len + 1) / max(seq_len, 1) if seq_len else float(score)
        all_tokens = prefix_tokens + tokens
        text = tok.decode(all_tokens)
        hyp = Hypothesis(text=text, language=language, tokens=all_tokens, avg_logprob=avg_logprob,
                         no_speech_prob=float(result.no_speech_prob), prefix_text=prefix.strip(),
                         continuation=tok.decode(tokens))
        if word_timestamps and all_tokens and task == "transcribe":
            hyp.words = self.align(encoded, language, all_tokens)
        return hyp

    def align(self, encoded: Encoded, language: str, tokens: list[int]) -> list[Word]:
        from faster_whisper.transcribe import merge_punctuations

        tok = self.tokenizer(language)
        with self.lock:
            alignment = self._model.find_alignment(tok, [tokens], encoded.output, encoded.num_frames)[0]
        merge_punctuations(alignment, "\"'“¿([{-", "\"'.。,，!！?？:：”)]}、")
        words = []
        for item in alignment:
            if not item["word"]:
                continue
            start = min(float(item["start"]), encoded.duration_s)
            end = min(max(float(item["end"]), start), encoded.duration_s)
            words.append(Word(item["word"], round(start, 3), round(end, 3), round(float(item["probability"]), 4)))
        return words

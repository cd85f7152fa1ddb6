"""The meeting-like passages streamed through a real server at real-time pace (``streaming_latency --clips meeting``).

One session per passage (languages restricted to the passage's, translation
off so the recogniser's busy time is its own); WER pooled over the passages and
compared with the best of the same model's offline runs on the same audio
(see ``bench/meeting_accuracy.py``); latency per word as in streaming_latency.
"""

from __future__ import annotations

import asyncio

from bench.common import percentile, running_server
from bench.meeting_accuracy import offline, offline_per_clip
from bench.meeting_passages import meeting_passages
from bench.meeting_scoring import TimedText, pooled_wer, score_passage

__all__ = ["run_meeting"]


def run_meeting(model: str, policy: str, stream_session, word_latencies) -> dict:
    passages = meeting_passages(english_only=model.endswith(".en"))
    env = {"FLOORCAST_MODEL": model, "FLOORCAST_RECOGNIZER_POLICY": policy}
    if policy == "naive":  # it cannot keep up: let its backlog grow instead of pushing back on the sender
        env["FLOORCAST_AUDIO_QUEUE_S"] = "3600"
    first, stable, scores, offline_scores, lags = [], [], [], {"vad": [], "novad": [], "per-clip": []}, []
    busy = audio = 0.0
    per_passage, rejected, finals = [], 0, 0
    with running_server(env) as (url, token):
        for p in passages:
            languages = sorted({c.clip.language for c in p.placed})
            ranges = [(c.start_s, c.end_s) for c in p.placed]
            run = asyncio.run(stream_session(url, token, p.audio, ranges, languages=languages,
                                             translation_languages=[]))
            f, s = word_latencies(run["events"])
            first += f
            stable += s
            texts = [TimedText(e["start"], e["end"], e["text"]) for _, e in run["events"]
                     if e.get("type") == "final" and e["text"]]
            lags += [a - e["end"] for a, e in run["events"] if e.get("type") == "final"]
            scores.append(score_passage(p, texts))
            stats = run["stats"]
            busy, audio = busy + stats["busy_s"], audio + stats["audio_s"]
            rejected, finals = rejected + stats["rejected"], finals + stats["finals"]
            per_passage.append({"passage": p.name, "duration_s": p.duration_s, "wer": scores[-1].wer,
                                "start_words_lost": scores[-1].start_words_lost, "stats": stats,
                                "stable_p50_s": percentile(s, 50), "stable_p95_s": percentile(s, 95)})
            print(f"  {p.name}: WER {scores[-1].wer:.3f}, stable p50 {percentile(s, 50):.2f} s, "
                  f"busy {stats['busy_s'] / max(stats['audio_s'], 1e-9):.3f}", flush=True)
    for p in passages:
        offline_scores["vad"].append(score_passage(p, offline(model, p, vad_filter=True)))
        offline_scores["novad"].append(score_passage(p, offline(model, p, vad_filter=False)))
        offline_scores["per-clip"].append(score_passage(p, offline_per_clip(model, p)))
    offline_wers = {k: pooled_wer(v) for k, v in offline_scores.items()}
    return {
        "model": model, "policy": policy, "clips": sum(len(p.placed) for p in passages), "audio_s": audio,
        "words": len(first), "first_p50_s": percentile(first, 50), "first_p95_s": percentile(first, 95),
        "stable_p50_s": percentile(stable, 50), "stable_p95_s": percentile(stable, 95),
        "wer_streaming": pooled_wer(scores), "wer_offline": min(offline_wers.values()), "wer_offline_runs": offline_wers,
        "busy_per_audio_s": busy / audio if audio else float("nan"), "max_final_lag_s": max(lags, default=float("nan")),
        "finals": finals, "rejected": rejected, "start_words_lost": sum(s.start_words_lost for s in scores),
        "per_passage": per_passage,
    }

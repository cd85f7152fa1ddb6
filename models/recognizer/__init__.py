"""Streaming speech recognition: VAD, decoder adapter, pure streaming policy, guards.

The data path inside this package is::

    PCM chunks -> gain.AutoGain -> vad.StreamingVad -> policy.Segmenter (utterance cuts)
               -> decoder.WhisperDecoder -> guards -> policy.Stabilizer -> events (partial / final)

``policy`` is pure (no audio, no I/O); ``streamer`` owns the audio buffer and
drives the decoder; ``worker`` runs a streamer in its own thread.
"""

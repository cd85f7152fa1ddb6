"""Streaming speech recognition: VAD, decoder adapter, pure streaming policy, guards.

The data path inside this package is::

    PCM chunks -> vad.StreamingVad -> policy.UtterancePolicy -> decoder.WhisperDecoder
               -> guards -> events (partial / final)

``policy`` is pure (no audio, no I/O); ``streamer`` owns the audio buffer and
drives the decoder; ``worker`` runs a streamer in its own thread.
"""

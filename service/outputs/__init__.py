"""Caption outputs: a session's finals in one language, posted live to Zoom, YouTube Live or a webhook.

The data path is the viewers' one, forked after the outbox: an event released
to viewers (a final stored, in ``seq`` order) is also offered to each output
of its session on the instance that records it.

* :mod:`.destinations` — the documented request of each platform (pure functions);
* :mod:`.delivery` — one output's ordered queue, retries and progress;
* :mod:`.hub` — which outputs this instance delivers, fed from its live sessions.
"""

"""The terminal client: ``floorcast stream`` (audio from ffmpeg into an ingest socket, with reconnects),
``floorcast watch`` (finished lines for screen readers and braille displays) and their formatting.

It speaks to a server over HTTP and websockets only, with the wire types of :mod:`service.protocol`;
nothing here runs inside the server.
"""

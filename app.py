"""python app.py [--host HOST] [--port PORT] [--index DIR]

Wiring only: settings → Assistant → web app (REST API, chat UI, widget) → uvicorn. Ingests
``settings.articles_dir`` first when the index is empty.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from core.offline import go_offline

# Set before anything imports gradio or the Hugging Face libraries.
go_offline()

log = logging.getLogger("app")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python app.py",
        description="Serve the newsroom assistant: chat UI at /, widget at /widget, REST API at /api, docs at /docs.",
    )
    parser.add_argument("--host", help="interface to listen on (default 127.0.0.1, env NEWSROOM_HOST)")
    parser.add_argument("--port", type=int, help="port (default 7860, env NEWSROOM_PORT)")
    parser.add_argument(
        "--index", type=Path, help="index folder (default data/index, env NEWSROOM_INDEX_DIR)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)

    from core.errors import NewsroomError
    from core.settings import settings_with

    try:
        settings = settings_with(host=args.host, port=args.port, index_dir=args.index)
    except NewsroomError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )

    import uvicorn

    from assistant import Assistant
    from ingest import NothingToIngest, ingest
    from web import ChatService, create_app

    assistant = Assistant.from_settings(settings)
    # A replica that pulls snapshots never writes: the writer fills the index it pulls.
    if not settings.snapshot_url and not assistant.index.store.counts()["chunks"]:
        log.info("the index in %s is empty: ingesting %s", settings.index_dir, settings.articles_dir)
        try:
            summary = ingest([settings.articles_dir], settings=settings, index=assistant.index)
            log.info(
                "ingested %d articles (%d chunks) in %.1f s",
                summary.articles,
                summary.indexed_chunks,
                summary.seconds,
            )
        except NothingToIngest as exc:
            log.warning("%s — serving an empty index; add articles in the Articles tab", exc)
    service = ChatService(settings, assistant)
    service.warm_up()
    app = create_app(service)

    shown_host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    address = f"http://{shown_host}:{settings.port}{settings.root_path}"
    print(f"Newsroom assistant on {address}/  (widget {address}/widget, API docs {address}/docs)", flush=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        root_path=settings.root_path,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

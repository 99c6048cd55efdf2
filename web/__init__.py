"""The HTTP edge: REST API, Gradio chat UI and widget, on one FastAPI app.

    app = create_app(ChatService(settings, Assistant.from_settings(settings)))

Gradio is imported only when an app is built, so ``python app.py --help`` stays instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.lazy import lazy_exports

if TYPE_CHECKING:
    from web.factory import create_app
    from web.service import ChatService

__all__ = ["ChatService", "create_app"]

__getattr__ = lazy_exports(__name__, {"create_app": "web.factory", "ChatService": "web.service"})

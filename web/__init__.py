"""The web side: REST API, Gradio chat UI and widget, on one FastAPI app (see ``web.factory.create_app``).

Gradio is imported only when an app is built, so ``python app.py --help`` stays instant.
"""

from web.factory import create_app

__all__ = ["create_app"]

"""The registry web application (FastAPI, server-rendered Jinja2 pages, htmx, a JSON API)."""

from psoreg.web.app import create_app

__all__ = ["create_app"]

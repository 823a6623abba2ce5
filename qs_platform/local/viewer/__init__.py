"""Offline viewer for stored QuickSight dashboards: `make_viewer_server(...)` / `serve(...)`."""

from .server import make_viewer_server, serve

__all__ = ["make_viewer_server", "serve"]

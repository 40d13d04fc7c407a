"""The citizens' map at /map (which hotspots exist and whether they work) and the tile layer every map uses.

Tiles come from `map_tile_url` and are fetched by the viewer's own browser, so
the page's Content-Security-Policy admits that one origin; with no tile URL the
maps still draw every access point, on a blank background.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, render_template

from hotspot.clock import utcnow
from hotspot.services import ap_map
from hotspot.settings import Settings
from portal import extensions, security

bp = Blueprint("maps", __name__)


def tile_origin(tile_url: str) -> str | None:
    """The CSP source of a tile URL template: `{s}` subdomains become a wildcard; None when not http(s)."""
    parts = urlsplit(tile_url.replace("{s}", "*"))
    if parts.scheme not in ("http", "https") or not parts.netloc or "{" in parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def tile_layer(settings: Settings) -> dict[str, str]:
    """What the map script needs to draw tiles, with this response's CSP opened to their origin."""
    origin = tile_origin(settings.map_tile_url)
    if origin is None:
        return {"url": "", "attribution": ""}
    security.allow_image_origin(origin)
    return {"url": settings.map_tile_url, "attribution": settings.map_tile_attribution}


@bp.get("/map")
def public_map():
    settings = extensions.settings()
    points = ap_map.map_points(extensions.db(), utcnow(), settings)
    return render_template(
        "splash/map.html",
        points=points,
        tiles=tile_layer(settings),
        geojson=ap_map.feature_collection(points, public=True),
    )

"""The console's map: every access point where it stands, coloured by state, a click away from its page."""

from __future__ import annotations

from flask import Blueprint, render_template

from hotspot.clock import utcnow
from hotspot.services import ap_map
from portal import extensions
from portal.admin.roles import requires
from portal.maps import tile_layer

bp = Blueprint("map", __name__)


@bp.get("/map")
@requires("viewer")
def index():
    settings = extensions.settings()
    points = ap_map.map_points(extensions.db(), utcnow(), settings)
    return render_template(
        "admin/map/index.html",
        points=points,
        tiles=tile_layer(settings),
        geojson=ap_map.feature_collection(points, public=False),
    )

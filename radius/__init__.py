"""RADIUS daemon for the city hotspot, on pyrad's packet codec; never imports Flask."""

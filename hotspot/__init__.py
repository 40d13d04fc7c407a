"""Shared core of the city hotspot service: settings, data model, policy, services.

Both the portal (Flask) and the RADIUS daemon import this package; it imports
neither of them.
"""

__version__ = "0.1.0"

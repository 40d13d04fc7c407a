"""The hotspot driven from outside on loopback, as routers and citizens drive it: for tests/ and bench/.

Its servers as real processes (`hotspot init`, `hotspot radius`, the portal under
gunicorn), RADIUS requests built the way a router sends them, a router's
accounting load with the ledger the database is held to, hostile datagrams and
the socketless packet rig they are fuzzed through. The test suite and the
benchmarks both use it, so it lives outside both; hotspot, portal and radius
never import it.
"""

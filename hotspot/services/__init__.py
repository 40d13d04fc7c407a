"""Queries and commands on the data model; each takes a SQLAlchemy session, and commands commit.

The portal, the admin console, the RADIUS daemon and the CLI all go through
these, so a rule (say, what a valid NAS is) lives in one place.
"""

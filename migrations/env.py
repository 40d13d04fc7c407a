"""Alembic environment: the URL comes from hotspot settings unless the caller set one."""

from __future__ import annotations

from alembic import context
from sqlalchemy import DateTime

from hotspot.db import make_engine
from hotspot.models import Base, UTCDateTime
from hotspot.settings import load_settings

config = context.config
target_metadata = Base.metadata


def render_item(type_, obj, autogen_context):
    """Write UTCDateTime as a plain timezone-aware DateTime, so migrations stand alone."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
    if isinstance(metadata_type, UTCDateTime):
        return not isinstance(inspected_type, DateTime)
    return None


def run_migrations() -> None:
    settings = load_settings()
    url = config.get_main_option("sqlalchemy.url")
    if url:
        settings = settings.with_overrides(database_url=url)
    connectable = config.attributes.get("connection") or make_engine(settings)
    options = dict(
        target_metadata=target_metadata,
        render_item=render_item,
        compare_type=compare_type,
        render_as_batch=True,
    )
    if hasattr(connectable, "connect"):
        try:
            with connectable.connect() as connection:
                context.configure(connection=connection, **options)
                with context.begin_transaction():
                    context.run_migrations()
        finally:
            connectable.dispose()
    else:
        context.configure(connection=connectable, **options)
        with context.begin_transaction():
            context.run_migrations()


run_migrations()

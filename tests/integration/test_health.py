"""/healthz and /metrics answer from the database."""

from datetime import UTC, datetime

from sqlalchemy.engine import make_url

from hotspot.models import Nas, RadiusSession


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_missing_database(settings, tmp_path):
    from portal import create_app

    broken = settings.with_overrides(
        database_url="postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    )
    response = create_app(broken).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json == {"status": "error", "database": "unavailable"}


def test_metrics_count_active_sessions_per_nas(client, db):
    nas = Nas(name="Taman Nostalgia", ip_range="10.53.9.1/32", secret_encrypted="x")
    db.add(nas)
    db.flush()
    now = datetime(2026, 11, 27, tzinfo=UTC)
    db.add(
        RadiusSession(
            unique_id="a",
            nas_id=nas.id,
            acct_session_id="1",
            username="u",
            start_time=now,
            update_time=now,
            status="active",
        )
    )
    db.commit()
    body = client.get("/metrics").get_data(as_text=True)
    assert 'hotspot_active_sessions{nas="Taman Nostalgia"} 1.0' in body
    assert 'hotspot_nas{active="true"} 1.0' in body


def test_healthz_fails_when_the_database_refuses_writes(settings, engine):
    """Reads still answer, writes fail: a read-only SQLite file, or PostgreSQL in read-only transactions."""
    from portal import create_app

    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        read_only = f"sqlite:///file:{url.database}?mode=ro&uri=true"
    else:
        options = url.query["options"] + " -cdefault_transaction_read_only=on"
        read_only = url.update_query_dict({"options": options})
        read_only = read_only.render_as_string(hide_password=False)
    app = create_app(settings.with_overrides(database_url=read_only))
    try:
        response = app.test_client().get("/healthz")
        assert response.status_code == 503
        assert response.json == {"status": "error", "database": "unavailable"}
    finally:
        app.extensions["hotspot"].engine.dispose()

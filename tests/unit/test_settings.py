"""Settings precedence (defaults < file < environment) and every kind of bad value."""

import pytest

from hotspot.settings import Settings, SettingsError, load_settings


def write(tmp_path, text):
    path = tmp_path / "hotspot.toml"
    path.write_text(text)
    return path


def test_defaults_apply_without_file_or_environment(tmp_path):
    settings = load_settings(environ={"HOTSPOT_SECRET_KEY": "k"}, config_file=write(tmp_path, ""))
    assert settings.portal_port == 8080
    assert settings.radius_auth_port == 1812
    assert settings.radius_acct_port == 1813
    assert settings.radius_bind == "0.0.0.0"
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("var/hotspot.db")


def test_file_overrides_defaults_and_sections_flatten(tmp_path):
    path = write(tmp_path, 'city_name = "Kota Kupang"\n[radius]\nauth_port = 11812\n[portal]\nport = 9090\n')
    settings = load_settings(environ={"HOTSPOT_SECRET_KEY": "k"}, config_file=path)
    assert (settings.radius_auth_port, settings.portal_port) == (11812, 9090)


def test_environment_overrides_file(tmp_path):
    path = write(tmp_path, "[radius]\nauth_port = 11812\n")
    settings = load_settings(
        environ={"HOTSPOT_SECRET_KEY": "k", "HOTSPOT_RADIUS_AUTH_PORT": "21812", "HOTSPOT_BEHIND_TLS": "yes"},
        config_file=path,
    )
    assert settings.radius_auth_port == 21812
    assert settings.behind_tls is True


def test_hotspot_config_names_the_file(tmp_path):
    path = write(tmp_path, "portal_port = 7070\n")
    settings = load_settings(environ={"HOTSPOT_CONFIG": str(path), "HOTSPOT_SECRET_KEY": "k"})
    assert settings.portal_port == 7070


def test_unknown_key_in_file_names_key_and_file(tmp_path):
    path = write(tmp_path, "portal_prot = 1\n")
    with pytest.raises(SettingsError, match=r"unknown setting 'portal_prot' in .*hotspot.toml"):
        load_settings(environ={}, config_file=path)


def test_wrong_type_in_file_names_key_and_file(tmp_path):
    path = write(tmp_path, '[portal]\nport = "eighty"\n')
    with pytest.raises(
        SettingsError, match=r"setting 'portal_port' from .*hotspot.toml: expected int, got 'eighty'"
    ):
        load_settings(environ={}, config_file=path)


def test_wrong_type_in_environment_names_variable_source():
    with pytest.raises(
        SettingsError, match=r"'radius_workers' from the environment .*expected int, got 'many'"
    ):
        load_settings(environ={"HOTSPOT_RADIUS_WORKERS": "many"}, config_file=None)


def test_bad_boolean_is_rejected():
    with pytest.raises(SettingsError, match="behind_tls"):
        load_settings(environ={"HOTSPOT_BEHIND_TLS": "perhaps"})


def test_unknown_environment_variable_is_rejected():
    with pytest.raises(SettingsError, match="unknown setting 'portl_port'"):
        load_settings(environ={"HOTSPOT_PORTL_PORT": "1"})


def test_unreadable_file_is_named(tmp_path):
    with pytest.raises(SettingsError, match=r"cannot read settings file .*missing.toml"):
        load_settings(environ={}, config_file=tmp_path / "missing.toml")


def test_invalid_toml_is_named(tmp_path):
    path = write(tmp_path, "portal_port = = 3\n")
    with pytest.raises(SettingsError, match=r"hotspot.toml is not valid TOML"):
        load_settings(environ={}, config_file=path)


def test_generated_secret_key_is_kept_across_loads(tmp_path):
    environ = {"HOTSPOT_VAR_DIR": str(tmp_path)}
    first = load_settings(environ=environ, config_file=write(tmp_path, ""))
    second = load_settings(environ=environ, config_file=write(tmp_path, ""))
    assert len(first.secret_key) >= 32
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_settings_are_frozen():
    with pytest.raises(AttributeError):
        Settings().portal_port = 1  # type: ignore[misc]

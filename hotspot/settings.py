"""Settings for the portal and the RADIUS daemon.

One frozen object built once at start-up and passed explicitly, so that tests
build their own and nothing reads the environment behind the caller's back.
Precedence: built-in defaults < ``config/hotspot.toml`` (or the file named by
``HOTSPOT_CONFIG``) < ``HOTSPOT_*`` environment variables. A bad value stops
start-up with a message that names the key and where it came from.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_FILE = PROJECT_ROOT / "config" / "hotspot.toml"
ENV_PREFIX = "HOTSPOT_"


class SettingsError(Exception):
    """A setting is unknown, of the wrong type, or its file cannot be read."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """Every setting of the service with its default; see README's table."""

    database_url: str = f"sqlite:///{PROJECT_ROOT / 'var' / 'hotspot.db'}"
    secret_key: str = ""
    var_dir: str = str(PROJECT_ROOT / "var")
    log_level: str = "INFO"
    timezone: str = "Asia/Makassar"

    portal_host: str = ""
    portal_port: int = 8080
    portal_workers: int = 2
    portal_url: str = "http://127.0.0.1:8080"
    behind_tls: bool = False
    trusted_proxies: str = "127.0.0.1,::1"

    radius_bind: str = "0.0.0.0"
    radius_auth_port: int = 1812
    radius_acct_port: int = 1813
    radius_workers: int = 1
    radius_metrics_port: int = 9812
    radius_dictionary_dir: str = str(PROJECT_ROOT / "config" / "dictionary")
    radius_journal_dir: str = ""
    radius_batch_max: int = 200
    radius_batch_wait_ms: int = 5
    radius_client_reload_seconds: int = 5
    radius_stale_grace_seconds: int = 120
    coa_timeout_seconds: float = 2.0
    coa_retries: int = 2
    coa_fanout_seconds: float = 8.0

    login_ticket_seconds: int = 120
    default_language: str = "id"
    city_name: str = "Kota Kupang"
    brand_logo: str = "img/logo.svg"
    brand_color: str = "#0b6e4f"
    terms_text: str = (
        "Layanan Wi-Fi gratis dari Pemerintah Kota Kupang. Gunakan dengan bijak: "
        "dilarang untuk kegiatan yang melanggar hukum."
    )
    privacy_text: str = (
        "Untuk menyediakan dan mengamankan Wi-Fi gratis, Pemerintah Kota Kupang mencatat alamat MAC dan IP "
        "perangkat Anda, waktu dan jumlah data setiap sesi, titik akses yang dipakai, dan nomor HP bila Anda "
        "mendaftar. Data ini tidak dijual dan hanya dibuka kepada petugas jaringan kota, atau kepada penegak "
        "hukum sesuai aturan (UU No. 27 Tahun 2022 tentang Pelindungan Data Pribadi).\n\n"
        "Anda berhak mengetahui, mendapatkan salinan, dan meminta penghapusan data Anda: hubungi petugas "
        "Wi-Fi kota melalui tautan pengaduan."
    )
    privacy_text_en: str = (
        "To provide and secure the free Wi-Fi, the City of Kupang records your device's MAC and IP address, "
        "the time and data of each session, the access point used, and your phone number if you register. "
        "This data is not sold and is only disclosed to the city's network staff, or to law enforcement as "
        "the law provides (Indonesia's Personal Data Protection Law, No. 27 of 2022).\n\n"
        "You may ask what data is held about you, get a copy and have it deleted: contact the city's Wi-Fi "
        "staff through the complaint link."
    )
    terms_version: str = "2026-12-01"
    landing_url: str = "https://kupangkota.go.id/"
    complaint_url: str = "https://www.qlue.co.id/"
    map_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    map_tile_attribution: str = "&copy; OpenStreetMap contributors"
    map_busy_sessions: int = 30

    sms_sender: str = "console"
    sms_webhook_url: str = ""
    sms_allowed_prefixes: str = "+628"
    sms_codes_per_address: str = "30/day"
    sms_daily_budget: int = 1000
    ratelimit_storage_url: str = "memory://"
    ratelimit_per_ip: str = "60/minute"
    ratelimit_per_mac: str = "10/minute"

    retention_days: int = 90

    smtp_url: str = ""
    mail_from: str = "hotspot@localhost"
    alert_emails: str = ""
    alert_webhook_url: str = ""
    alert_silent_minutes: float = 15.0
    alert_check_seconds: float = 30.0
    alert_retry_seconds: float = 30.0

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some values replaced, type-checked like any other source."""
        return _build(dataclasses.asdict(self), changes, "overrides")

    @property
    def alert_recipients(self) -> list[str]:
        """The addresses in `alert_emails` (comma-separated), blanks dropped."""
        return [address.strip() for address in self.alert_emails.split(",") if address.strip()]

    @property
    def portal_bind_host(self) -> str:
        """Where gunicorn listens: the configured host, else loopback behind a TLS proxy (only the proxy may
        reach the portal, so nobody can talk past it) and every address without one."""
        return self.portal_host or ("127.0.0.1" if self.behind_tls else "0.0.0.0")

    @property
    def journal_dir(self) -> Path:
        """Where the RADIUS daemon spools accounting while the database is away."""
        return Path(self.radius_journal_dir or Path(self.var_dir) / "journal")


_FIELDS = {f.name: f for f in dataclasses.fields(Settings)}


def _coerce(key: str, value: Any, source: str) -> Any:
    """Convert one raw value to the field's type or raise a SettingsError naming it."""
    expected = type(getattr(Settings, key))
    if expected is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"1", "true", "yes", "on", "0", "false", "no", "off"}:
            return value.lower() in {"1", "true", "yes", "on"}
    elif expected is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
    elif expected is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif isinstance(value, str):
        return value
    raise SettingsError(f"setting {key!r} from {source}: expected {expected.__name__}, got {value!r}")


def _build(base: Mapping[str, Any], changes: Mapping[str, Any], source: str) -> Settings:
    values = dict(base)
    for key, raw in changes.items():
        if key not in _FIELDS:
            raise SettingsError(f"unknown setting {key!r} in {source}")
        values[key] = _coerce(key, raw, source)
    return Settings(**values)


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from exc
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                flat[f"{key}_{sub}"] = subvalue
        else:
            flat[key] = value
    return flat


def _ensure_secret_key(settings: Settings) -> Settings:
    """An embedded install keeps a generated key in var/ so restarts keep working."""
    if settings.secret_key:
        return settings
    key_file = Path(settings.var_dir) / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return dataclasses.replace(settings, secret_key=key_file.read_text().strip())


def load_settings(
    environ: Mapping[str, str] | None = None, config_file: str | Path | None = None
) -> Settings:
    """Build the settings from defaults, the TOML file and the environment."""
    environ = os.environ if environ is None else environ
    if config_file is None:
        config_file = environ.get(f"{ENV_PREFIX}CONFIG")
    if config_file is not None:
        path = Path(config_file)
        file_values = _read_file(path)
    elif DEFAULT_CONFIG_FILE.exists():
        path = DEFAULT_CONFIG_FILE
        file_values = _read_file(path)
    else:
        path, file_values = DEFAULT_CONFIG_FILE, {}
    settings = _build(dataclasses.asdict(Settings()), file_values, str(path))
    env_values = {
        key[len(ENV_PREFIX) :].lower(): value
        for key, value in environ.items()
        if key.startswith(ENV_PREFIX)
        and key != f"{ENV_PREFIX}CONFIG"
        and not key.startswith(f"{ENV_PREFIX}TEST_")
        and key not in {f"{ENV_PREFIX}ADMIN_PASSWORD"}
    }
    settings = _build(dataclasses.asdict(settings), env_values, "the environment (HOTSPOT_*)")
    return _ensure_secret_key(settings)

"""The configuration file: named profiles for remote sources (TOML, typed with pydantic).

Location: ``$AUDIT_TUI_CONFIG`` or ``<platformdirs user config dir>/audit-tui/config.toml``::

    [profiles.prod]
    url = "https://host/tenants/T/api/v2/audit-logs"
    token_env = "AUDIT_TUI_TOKEN_PROD"     # or: token_file = "~/.config/audit-tui/prod.token"
    timeout = 10.0
    page_size = 100
    ca_bundle = "/etc/ssl/corp-ca.pem"

A token itself never goes into this file or on the command line: only where to find it.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator


class ConfigError(ValueError):
    """The config file cannot be used; the message says where and what to fix."""


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    token_env: str | None = None
    token_file: Path | None = None
    timeout: float = Field(default=10.0, gt=0, le=600)
    page_size: int = Field(default=100, ge=1, le=1000)
    ca_bundle: Path | None = None

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("url must start with http:// or https://")
        return value

    @field_validator("token_file", "ca_bundle")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    profiles: dict[str, Profile] = Field(default_factory=dict)


def config_path() -> Path:
    explicit = os.environ.get("AUDIT_TUI_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("audit-tui")) / "config.toml"


def load_config(path: Path | None = None) -> Config:
    """The config at ``path`` (default :func:`config_path`); an absent file is an empty config."""
    path = path or config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc}); fix the file") from None
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"{path}: {where}: {first['msg']}") from None

"""The configuration file: named profiles for remote sources (TOML, typed with pydantic).

Location: ``$AUDIT_TUI_CONFIG`` or ``<platformdirs user config dir>/audit-tui/config.toml``::

    [profiles.prod]
    url = "https://host/tenants/T/api/v2/audit-logs"
    token_env = "AUDIT_TUI_TOKEN_PROD"     # or: token_file = "~/.config/audit-tui/prod.token"
    timeout = 10.0
    page_size = 100
    ca_bundle = "/etc/ssl/corp-ca.pem"

    [profiles.warehouse]                   # a ClickHouse server
    url = "clickhouses://auditor@ch.example.com/audit"
    password_file = "~/.config/audit-tui/ch.password"
    # or: password_command = ["pass", "show", "clickhouse/auditor"]; or: password_env = "VAR"

A token or a password itself never goes into this file or on the command line: only where to
find it.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

CLICKHOUSE_SCHEMES = ("clickhouse://", "clickhouses://")


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
    # a ClickHouse server's password (clickhouse:// and clickhouses:// profiles): a file whose
    # first line it is, a command that prints it (its arguments, no shell), or a variable
    password_file: Path | None = None
    password_command: list[str] | None = Field(default=None, min_length=1)
    password_env: str | None = None

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://", *CLICKHOUSE_SCHEMES)):
            raise ValueError(
                "url must start with http:// or https:// (an audit API), or clickhouse:// or "
                "clickhouses:// (a ClickHouse server)"
            )
        return value

    @field_validator("token_file", "ca_bundle", "password_file")
    @classmethod
    def _expand(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @property
    def clickhouse(self) -> bool:
        """The profile names a ClickHouse server rather than an audit API."""
        return self.url.startswith(CLICKHOUSE_SCHEMES)

    @model_validator(mode="after")
    def _one_kind(self) -> Profile:
        token = [n for n in ("token_env", "token_file") if getattr(self, n) is not None]
        password = [
            n
            for n in ("password_file", "password_command", "password_env")
            if getattr(self, n) is not None
        ]
        if self.clickhouse and token:
            raise ValueError(
                f"{token[0]} is for an audit API; a ClickHouse server takes password_*"
            )
        if not self.clickhouse and password:
            raise ValueError(f"{password[0]} is for a ClickHouse server (a clickhouse:// url)")
        if len(password) > 1:
            raise ValueError(f"give one of {', '.join(password)}, not both")
        return self


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

"""The deployment's settings, one precedence for all: a Streamlit secret first, then the
environment variable, then the default. The page passes its secrets in; nothing here reads
Streamlit."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field

from geo.paths import REPO_DIR
from layers.postgis import is_postgres_url

# setting → (secret key, environment variable)
SOURCES = {
    "tianditu_key": ("TIANDITU_KEY", "TIANDITU_KEY"),
    "database_url": ("database_url", "PLANMAP_DATABASE_URL"),
    # the annotation store's URL before the layers could live in PostGIS too: still read
    "annotations_url": ("annotations_url", "PLANMAP_ANNOTATIONS_URL"),
}
SECRETS_FILE = REPO_DIR / ".streamlit" / "secrets.toml"


@dataclass(frozen=True)
class Settings:
    tianditu_key: str = ""  # 天地图 basemap key; without it that basemap is not offered
    # "" = the embedded default (SQLite annotations, the GeoPackage's layers); postgresql://…
    # = a team's PostGIS for both
    database_url: str = ""
    secrets: Mapping = field(default_factory=dict)  # the whole secrets (users, auth) for Access

    @classmethod
    def resolve(cls, secrets: Mapping | None, environ: Mapping = os.environ) -> Settings:
        secrets = dict(secrets or {})
        values = {name: str(secrets.get(secret) or environ.get(env) or "")
                  for name, (secret, env) in SOURCES.items()}
        older = values.pop("annotations_url")
        values["database_url"] = values["database_url"] or older
        return cls(**values, secrets=secrets)

    @property
    def layers_url(self) -> str:
        """The PostGIS the layers are published to and read from; "" = the GeoPackage (as
        when the annotations are kept in a SQLite file named by the URL)."""
        return self.database_url if is_postgres_url(self.database_url) else ""

    @classmethod
    def outside_the_app(cls, environ: Mapping = os.environ) -> Settings:
        """The settings the command line and the map-file route see: the app's secrets file
        (``.streamlit/secrets.toml``, when there is one), then the environment."""
        try:
            secrets = tomllib.loads(SECRETS_FILE.read_text(encoding="utf-8"))
        except FileNotFoundError:
            secrets = {}
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise ValueError(f"无法读取 {SECRETS_FILE}：{e}") from e
        return cls.resolve(secrets, environ)

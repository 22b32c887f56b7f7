"""The deployment's settings, one precedence for all: a Streamlit secret first, then the
environment variable, then the default. The page passes its secrets in; nothing here reads
Streamlit."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

# setting → (secret key, environment variable)
SOURCES = {
    "tianditu_key": ("TIANDITU_KEY", "TIANDITU_KEY"),
    "annotations_url": ("annotations_url", "PLANMAP_ANNOTATIONS_URL"),
}


@dataclass(frozen=True)
class Settings:
    tianditu_key: str = ""  # 天地图 basemap key; without it that basemap is not offered
    annotations_url: str = ""  # "" = the embedded SQLite store; postgresql://… for a team
    secrets: Mapping = field(default_factory=dict)  # the whole secrets (users, auth) for Access

    @classmethod
    def resolve(cls, secrets: Mapping | None, environ: Mapping = os.environ) -> Settings:
        secrets = dict(secrets or {})
        values = {name: str(secrets.get(secret) or environ.get(env) or "")
                  for name, (secret, env) in SOURCES.items()}
        return cls(**values, secrets=secrets)

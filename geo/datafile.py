"""Reading the project's YAML data files: one loader for all of them — libyaml's safe loader
when PyYAML was built with it (several times faster on the structure and rule files), else the
pure-Python one. Errors are ``yaml.YAMLError`` either way."""

from __future__ import annotations

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(stream):
    """The data in YAML text or an open text file, read safely (no Python objects)."""
    return yaml.load(stream, Loader=_LOADER)

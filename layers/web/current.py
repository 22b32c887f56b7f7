"""The layers a server shows now, shared by every session: the newest version published to the
team's PostGIS, else the default build (the GeoPackage). Each rerun asks only for the
version number or the file's stamp, so a new publish or build reaches every running server."""

from __future__ import annotations

import threading

from layers.web.catalogue import Catalogue

_LOADED: dict = {}  # source → (its stamp when read, the catalogue)
_LOADING = threading.Lock()


def default_catalogue(database_url: str = "") -> Catalogue:
    """The catalogue every session of this server shares: the newest version published to
    the PostGIS at ``database_url``, else the default build (the GeoPackage, built first when
    stale). Later calls only compare the version number or the file's stamp, so a new build
    or publish is picked up by the next rerun of every running server. Raises
    LayersUnavailable when the database cannot be read (see ``last_catalogue``)."""
    from layers.published import PublishedLayers
    from layers.schema import LAYER_NAMES

    source = database_url or "gpkg"
    if database_url:
        published = (_DATABASES.get(database_url)
                     or _DATABASES.setdefault(database_url, PublishedLayers(database_url)))
        # the first read asks for the version itself: one round trip fewer at start
        stamp = published.current_version() if source in _LOADED else None
    else:  # (the build's modules only here: a server reading PostGIS never builds)
        from layers.build import build_stamp, load_layer

        stamp = build_stamp()
    stamp_now, current = _LOADED.get(source, (None, None))
    if current is not None and stamp_now == stamp:
        return current
    with _LOADING:
        if _LOADED.get(source, (None, None))[1] is not current:  # another session loaded it
            return _LOADED[source][1]
        if database_url:
            stamp, layers = published.read()
        else:
            layers = {name: load_layer(name) for name in LAYER_NAMES}
            stamp = build_stamp()
        catalogue = Catalogue(layers)
        _LOADED[source] = (stamp, catalogue)
        return catalogue


_DATABASES: dict = {}  # database URL → PublishedLayers (its connection), one per process


def last_catalogue(database_url: str = "") -> Catalogue | None:
    """What ``default_catalogue`` last gave for this source; None before the first."""
    return _LOADED.get(database_url or "gpkg", (None, None))[1]


def catalogue_or_last(database_url: str = ""):
    """(the current catalogue, None), or — while the layer database is away — (the last one
    read, why it is not current). Raises LayersUnavailable when none was ever read."""
    from layers.published import LayersUnavailable

    try:
        return default_catalogue(database_url), None
    except LayersUnavailable as problem:
        kept = last_catalogue(database_url)
        if kept is None:
            raise
        return kept, problem

"""The map's browser files come from static/vendor, never a CDN: the manifest, the installer
(against a fake registry built here — these tests never touch the internet) and ``localise``."""

import base64
import hashlib
import io
import re
import tarfile
from pathlib import Path

import folium
import folium.plugins
import pytest

from layers.web import assets as webassets
from layers.web.assets import (
    STATIC_DIR,
    STATIC_URL,
    IntegrityError,
    ManifestError,
    OfflineAssetError,
    UnsafeTarballError,
    asset_links,
    install,
    load_manifest,
    local_url,
    localise,
    missing,
)

FILES = {
    "package/dist/demo.js": b"window.demo = 1;\n",
    "package/dist/demo.css": b".demo{background:url(images/a.png)}\n",
    "package/dist/images/a.png": b"\x89PNG a",
    "package/dist/images/sub/b.png": b"\x89PNG b",
    "package/src/demo.ts": b"export {};\n",
    "package/README.md": b"# demo\n",
}
SCOPED = {"package/css/x.css": b".x{}\n", "package/js/x.js": b"x();\n"}


def tgz(files: dict[str, bytes], links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            tar.addfile(info)
    return buf.getvalue()


def sri(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


class FakeRegistry:
    """URL → tarball bytes, remembering every request."""

    def __init__(self, tarballs: dict[str, bytes]):
        self.tarballs = tarballs
        self.calls: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.calls.append(url)
        return self.tarballs[url]


DEMO_URL = "https://registry.npmjs.org/demo/-/demo-1.0.0.tgz"
SCOPED_URL = "https://registry.npmjs.org/@scope/thing/-/thing-2.0.0.tgz"


def write_manifest(path: Path, demo_integrity: str, scoped_integrity: str) -> Path:
    path.write_text(f"""
packages:
  - package: demo
    version: "1.0.0"
    integrity: {demo_integrity}
    keep: [dist/demo.js, dist/demo.css, dist/images/]
    replaces:
      https://cdn.example.org/demo/1.0.0/demo.min.js: dist/demo.js
      https://cdn.example.org/demo/1.0.0/demo.css: dist/demo.css
  - package: "@scope/thing"
    version: "2.0.0"
    integrity: {scoped_integrity}
    keep: [css/x.css]
    replaces:
      https://cdn.example.org/thing.css: css/x.css
dropped:
  - url: https://cdn.example.org/old.css
    reason: not needed
""", encoding="utf-8")
    return path


@pytest.fixture
def fake(tmp_path):
    demo, scoped = tgz(FILES), tgz(SCOPED)
    manifest = write_manifest(tmp_path / "assets.yaml", sri(demo), sri(scoped))
    registry = FakeRegistry({DEMO_URL: demo, SCOPED_URL: scoped})
    return load_manifest(manifest), registry, tmp_path / "static"


def tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_install_keeps_only_listed_files_in_the_right_place(fake):
    manifest, registry, static = fake
    assert missing(static, manifest) == ["vendor/demo@1.0.0/dist/demo.js",
                                         "vendor/demo@1.0.0/dist/demo.css",
                                         "vendor/demo@1.0.0/dist/images/",
                                         "vendor/@scope/thing@2.0.0/css/x.css"]
    installed = install(static, manifest, fetch=registry)
    assert registry.calls == [DEMO_URL, SCOPED_URL]
    assert installed == [static / "vendor/demo@1.0.0", static / "vendor/@scope/thing@2.0.0"]
    assert tree(static) == {
        "vendor/demo@1.0.0/dist/demo.js", "vendor/demo@1.0.0/dist/demo.css",
        "vendor/demo@1.0.0/dist/images/a.png", "vendor/demo@1.0.0/dist/images/sub/b.png",
        "vendor/demo@1.0.0/.installed.json",
        "vendor/@scope/thing@2.0.0/css/x.css", "vendor/@scope/thing@2.0.0/.installed.json"}
    assert (static / "vendor/demo@1.0.0/dist/demo.js").read_bytes() == FILES["package/dist/demo.js"]
    assert missing(static, manifest) == []
    assert sorted(p.name for p in (static / "vendor").iterdir()) == ["@scope", "demo@1.0.0"]


def test_install_is_idempotent_and_repairs_a_missing_file(fake):
    manifest, registry, static = fake
    install(static, manifest, fetch=registry)
    registry.calls.clear()
    assert install(static, manifest, fetch=registry) == []
    assert registry.calls == []  # nothing fetched the second time
    (static / "vendor/demo@1.0.0/dist/images/a.png").unlink()
    assert missing(static, manifest) == []  # the folder still has b.png …
    (static / "vendor/demo@1.0.0/dist/demo.css").unlink()
    assert missing(static, manifest) == ["vendor/demo@1.0.0/dist/demo.css"]
    assert install(static, manifest, fetch=registry) == [static / "vendor/demo@1.0.0"]
    assert registry.calls == [DEMO_URL]  # … only the damaged package is fetched again
    assert (static / "vendor/demo@1.0.0/dist/images/a.png").is_file()


def test_integrity_mismatch_raises_and_installs_nothing(tmp_path):
    demo, scoped = tgz(FILES), tgz(SCOPED)
    tampered = tgz({**FILES, "package/dist/demo.js": b"steal();\n"})
    manifest = load_manifest(write_manifest(tmp_path / "assets.yaml", sri(demo), sri(scoped)))
    static = tmp_path / "static"
    with pytest.raises(IntegrityError) as err:
        install(static, manifest, fetch=FakeRegistry({DEMO_URL: tampered, SCOPED_URL: scoped}))
    assert sri(demo) in str(err.value) and sri(tampered) in str(err.value)
    assert not static.exists() or tree(static) == set()


@pytest.mark.parametrize("evil", [
    {"package/../evil.js": b"x"},
    {"../evil.js": b"x"},
    {"/tmp/evil.js": b"x"},
    {"package/dist/../../evil.js": b"x"},
])
def test_unsafe_tarball_is_rejected_before_anything_is_written(tmp_path, evil):
    demo, scoped = tgz({**FILES, **evil}), tgz(SCOPED)
    manifest = load_manifest(write_manifest(tmp_path / "assets.yaml", sri(demo), sri(scoped)))
    static = tmp_path / "static"
    with pytest.raises(UnsafeTarballError):
        install(static, manifest, fetch=FakeRegistry({DEMO_URL: demo, SCOPED_URL: scoped}))
    assert not (tmp_path / "evil.js").exists()
    assert [p for p in static.rglob("*") if p.is_file()] == []
    assert not (static / "vendor/demo@1.0.0").exists()


def test_symlink_in_tarball_is_rejected(tmp_path):
    demo = tgz(FILES, links={"package/dist/images/c.png": "/etc/passwd"})
    scoped = tgz(SCOPED)
    manifest = load_manifest(write_manifest(tmp_path / "assets.yaml", sri(demo), sri(scoped)))
    with pytest.raises(UnsafeTarballError, match="c.png"):
        install(tmp_path / "static", manifest,
                fetch=FakeRegistry({DEMO_URL: demo, SCOPED_URL: scoped}))


def test_kept_file_absent_from_tarball_raises(tmp_path):
    demo = tgz({k: v for k, v in FILES.items() if not k.endswith("demo.css")})
    scoped = tgz(SCOPED)
    manifest = load_manifest(write_manifest(tmp_path / "assets.yaml", sri(demo), sri(scoped)))
    with pytest.raises(ValueError, match="dist/demo.css"):
        install(tmp_path / "static", manifest,
                fetch=FakeRegistry({DEMO_URL: demo, SCOPED_URL: scoped}))
    assert not (tmp_path / "static/vendor/demo@1.0.0").exists()


GOOD = sri(b"x")


@pytest.mark.parametrize(("text", "reason"), [
    ("packages: [", "无法读取"),
    ("[1, 2]", "packages"),
    ("packages:\n  - package: demo\n    version: \"1.0.0\"\n    keep: [a.js]\n"
     "    replaces: {https://cdn.example.org/a.js: a.js}\n", "integrity"),
    ("packages:\n  - package: demo\n    version: \"1.0.0\"\n    integrity: sha512-abc\n"
     "    keep: [a.js]\n    replaces: {https://cdn.example.org/a.js: a.js}\n", "integrity"),
    ("packages:\n  - package: demo\n    version: 1.10\n    integrity: " + GOOD + "\n"
     "    keep: [a.js]\n    replaces: {https://cdn.example.org/a.js: a.js}\n", "version"),
    ("packages:\n  - package: demo\n    version: \"1.0.0\"\n    integrity: " + GOOD + "\n"
     "    keep: [../a.js]\n    replaces: {https://cdn.example.org/a.js: a.js}\n", "../a.js"),
    ("packages:\n  - package: demo\n    version: \"1.0.0\"\n    integrity: " + GOOD + "\n"
     "    keep: [a.js]\n    replaces: {https://cdn.example.org/b.js: b.js}\n", "不在 keep"),
    ("packages:\n  - package: demo\n    version: \"1.0.0\"\n    integrity: " + GOOD + "\n"
     "    keep: [a.js]\n    replaces: {https://cdn.example.org/a.js: a.js}\n"
     "dropped:\n  - url: https://cdn.example.org/a.js\n    reason: twice\n", "出现两次"),
    ("packages: []\ndropped:\n  - url: https://cdn.example.org/a.js\n", "reason"),
])
def test_malformed_manifest_names_file_and_reason(tmp_path, text, reason):
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ManifestError) as err:
        load_manifest(path)
    assert str(path) in str(err.value) and reason in str(err.value)
    assert isinstance(err.value, ValueError)


# --- the real manifest --------------------------------------------------------------------

def app_map() -> folium.Map:
    """Every folium piece the app uses."""
    m = folium.Map(location=[29.56, 106.55], zoom_start=9)
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "果园港"},
         "geometry": {"type": "Point", "coordinates": [106.65, 29.62]}}]}
    folium.GeoJson(collection, popup=folium.GeoJsonPopup(["name"]),
                   tooltip=folium.GeoJsonTooltip(["name"]),
                   marker=folium.CircleMarker(radius=5)).add_to(m)
    folium.plugins.Draw().add_to(m)
    cluster = folium.plugins.MarkerCluster().add_to(m)
    folium.Marker([29.6, 106.5]).add_to(cluster)
    folium.plugins.FastMarkerCluster([[29.5, 106.5], [29.7, 106.6]]).add_to(m)
    return m


def test_manifest_pins_folium_versions_and_registry_digests():
    manifest = load_manifest()
    assert {p.spec for p in manifest.packages} == {
        "leaflet@1.9.3", "leaflet-draw@1.0.2", "leaflet.markercluster@1.1.0", "jquery@3.7.1",
        "bootstrap@5.2.2", "@fortawesome/fontawesome-free@6.2.0",
        "drmonty-leaflet-awesome-markers@2.0.2", "leaflet-measure@2.1.7"}
    fa = next(p for p in manifest.packages if p.name.startswith("@"))
    assert fa.tarball_url() == ("https://registry.npmjs.org/@fortawesome/fontawesome-free/-/"
                                "fontawesome-free-6.2.0.tgz")
    assert local_url(next(iter(fa.replaces))) == (
        f"{STATIC_URL}/vendor/@fortawesome/fontawesome-free@6.2.0/css/all.min.css")


def test_every_replaced_file_is_kept():
    for package in load_manifest().packages:
        for url, path in package.replaces.items():
            assert path in package.keep or any(k.endswith("/") and path.startswith(k)
                                               for k in package.keep), (package.spec, url)


def test_real_manifest_covers_every_link_of_the_app_map():
    m = app_map()
    before = asset_links(m)
    manifest = load_manifest()
    assert set(before) <= set(manifest.urls), set(before) - set(manifest.urls)
    class_js = list(folium.Map.default_js)
    assert localise(m) is m
    after = asset_links(m)
    assert after and all(url.startswith(STATIC_URL + "/") for url in after), after
    assert len(after) == len(before) - len(manifest.dropped)
    assert folium.Map.default_js == class_js  # folium's classes keep their CDN links
    assert folium.plugins.Draw.default_js[0][1].startswith("https://cdnjs.cloudflare.com/")
    html = m.get_root().render()
    links = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert links and all(url.startswith(STATIC_URL + "/") for url in links), links


def test_icon_path_is_set_once_before_the_layers():
    m = app_map()
    localise(localise(m))
    script = m.get_root().render()
    fixes = re.findall(r'L\.Icon\.Default\.imagePath = "([^"]+)";', script)
    assert fixes == [f"{STATIC_URL}/vendor/leaflet@1.9.3/dist/images/"]
    assert fixes == [webassets.LEAFLET_IMAGES_URL]
    assert script.index("imagePath") < script.index("L.marker(")
    assert script.index("L.map(") < script.index("imagePath")


def test_a_plugin_missing_from_the_manifest_fails_loudly():
    m = app_map()
    folium.plugins.MiniMap().add_to(m)
    with pytest.raises(OfflineAssetError) as err:
        localise(m)
    minimap_js = dict(folium.plugins.MiniMap.default_js)["Control_MiniMap_js"]
    assert minimap_js in str(err.value) and "data/web/assets.yaml" in str(err.value)
    assert asset_links(m)[0].startswith("https://")  # nothing was changed


def test_local_url_for_dropped_unknown_and_local_links():
    dropped = next(iter(load_manifest().dropped))
    assert local_url(dropped) is None
    assert local_url("/app/static/vendor/x.js") == "/app/static/vendor/x.js"
    with pytest.raises(OfflineAssetError, match="unpkg.com"):
        local_url("https://unpkg.com/leaflet@1.9.4/dist/leaflet.js")


def test_colormap_cannot_go_offline():
    import branca.colormap

    m = folium.Map()
    branca.colormap.LinearColormap(["white", "red"]).add_to(m)
    with pytest.raises(OfflineAssetError, match="d3"):
        localise(m)


# --- the installed copy, when there is one -------------------------------------------------

installed = pytest.mark.skipif(bool(missing()), reason="static/vendor 未安装（python -m layers assets）")


def css_references(css: Path) -> list[str]:
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)", css.read_text(encoding="utf-8"))
    return [u for u in urls if not u.startswith(("data:", "#"))]


@installed
def test_every_local_url_is_an_installed_file():
    for url in load_manifest().urls.values():
        if url is not None:
            assert (STATIC_DIR / url.removeprefix(STATIC_URL + "/")).is_file(), url
    images = STATIC_DIR / webassets.LEAFLET_IMAGES_URL.removeprefix(STATIC_URL + "/")
    assert (images / "marker-icon.png").is_file()
    assert (images / "marker-shadow.png").is_file()


@installed
def test_installed_stylesheets_find_their_fonts_and_images():
    manifest = load_manifest()
    stylesheets = [STATIC_DIR / p.folder / k for p in manifest.packages for k in p.keep
                   if k.endswith(".css")]
    assert len(stylesheets) == 8
    for css in stylesheets:
        for ref in css_references(css):
            assert (css.parent / ref.split("?")[0].split("#")[0]).resolve().is_file(), (css, ref)
    fa = next(css for css in stylesheets if css.name == "all.min.css")
    fonts = {ref for ref in css_references(fa) if ref.startswith("../webfonts/")}
    assert {Path(f).name for f in fonts} >= {"fa-solid-900.woff2", "fa-regular-400.woff2",
                                               "fa-brands-400.woff2"}


@installed
def test_installed_sizes_are_sane():
    for package in load_manifest().packages:
        files = [f for f in (STATIC_DIR / package.folder).rglob("*") if f.is_file()]
        assert all(f.stat().st_size > 0 for f in files), package.spec
        assert 1_000 < sum(f.stat().st_size for f in files) < 2_000_000, package.spec

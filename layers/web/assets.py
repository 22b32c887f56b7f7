"""The map's browser files served from our own server, so it works without internet.

folium and streamlit-folium load Leaflet, its plugins, jQuery, Bootstrap and Font Awesome from
CDNs (each element's ``default_js`` / ``default_css``). ``data/web/assets.yaml`` names the npm
package and version behind every such URL and the files to keep; ``install`` downloads each
tarball once from the npm registry, checks its sha512 before unpacking, and puts the kept files
in ``static/vendor/<package>@<version>/``, which Streamlit serves at ``/app/static/`` when
``[server] enableStaticServing`` is on (``.streamlit/config.toml``). ``localise(map)`` then
points every element of a map at those copies; a CDN link nobody listed is an error, not a
silent blank map on a planner's offline machine.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import http.client
import io
import json
import re
import shutil
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import branca.colormap
import folium
import folium.plugins
import yaml
from folium.elements import JSCSSMixin

from geo.datafile import load_yaml
from geo.paths import DATA_DIR, REPO_DIR
from layers.web.elements import IconPath

ASSETS_FILE = DATA_DIR / "web" / "assets.yaml"
STATIC_DIR = REPO_DIR / "static"  # Streamlit serves the folder beside streamlit_app.py
STATIC_URL = "/app/static"
VENDOR = "vendor"
REGISTRY = "https://registry.npmjs.org"
INSTALL_COMMAND = ".venv/bin/python -m layers assets"
STAMP = ".installed.json"
TIMEOUT = 60  # seconds per tarball
MAX_TARBALL_BYTES = 32 * 1024 * 1024  # the largest we use (Font Awesome) is under 5 MB
_STALE_SECONDS = 600  # a partial folder this old belongs to an interrupted install

# streamlit-folium adds these itself for a branca ColorMap, whatever the element says
_COLORMAP_JS = ("https://d3js.org/d3.v4.min.js",
                "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js")

_NAME = re.compile(r"^(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$")
_VERSION = re.compile(r"^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]+)?$")
_SHA512 = re.compile(r"^sha512-([A-Za-z0-9+/]{86}==)$")


class AssetError(ValueError):
    """Anything wrong with the vendored assets (a ValueError, so the command line reports it
    like bad input)."""


class ManifestError(AssetError):
    """data/web/assets.yaml is malformed."""


class OfflineAssetError(AssetError):
    """A map loads an external file that has no local copy."""


class IntegrityError(AssetError):
    """A downloaded tarball is not the one the manifest names."""


class UnsafeTarballError(AssetError):
    """A tarball holds a member that could write outside its folder."""


class DownloadError(AssetError):
    """The registry could not be reached."""


@dataclass
class Package:
    name: str
    version: str
    integrity: str
    keep: tuple[str, ...]
    replaces: dict[str, str]  # CDN URL → path in the tarball

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def folder(self) -> str:
        """Where the package lives under the static folder (scoped names keep the scope)."""
        return f"{VENDOR}/{self.spec}"

    def tarball_url(self, registry: str = REGISTRY) -> str:
        basename = self.name.rsplit("/", 1)[-1]  # @scope/name → name-1.0.0.tgz
        return f"{registry.rstrip('/')}/{self.name}/-/{basename}-{self.version}.tgz"

    def url_of(self, path: str) -> str:
        return f"{STATIC_URL}/{urllib.parse.quote(f'{self.folder}/{path}', safe='/@')}"


@dataclass
class Manifest:
    path: Path
    packages: tuple[Package, ...]
    dropped: dict[str, str]  # CDN URL → why the app does without it
    urls: dict[str, str | None] = field(default_factory=dict)  # CDN URL → local URL or None

    def __post_init__(self):
        for package in self.packages:
            for url, path in package.replaces.items():
                self.urls[url] = package.url_of(path)
        self.urls.update(dict.fromkeys(self.dropped))


def _covers(kept: str, path: str) -> bool:
    """Whether a ``keep`` entry (a file, or a folder ending in /) holds ``path``."""
    return path.startswith(kept) if kept.endswith("/") else path == kept


def _relative_path(value, where: str, folder_ok: bool = True) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where}：路径应为非空文本")
    inner = value[:-1] if folder_ok and value.endswith("/") else value
    parts = inner.split("/")
    if (value.startswith("/") or "\\" in value or ":" in parts[0]
            or any(p in ("", ".", "..") for p in parts)):
        raise ValueError(f"{where}：{value!r} 不是包内的相对路径")
    return value


def _parse_package(entry, i: int) -> Package:
    if not isinstance(entry, dict):
        raise ValueError(f"packages[{i}] 应为映射（package, version, integrity, keep, replaces）")
    unknown = set(entry) - {"package", "version", "integrity", "keep", "replaces"}
    if unknown:
        raise ValueError(f"packages[{i}] 有未知字段：{', '.join(sorted(unknown))}")
    name, version, integrity = entry.get("package"), entry.get("version"), entry.get("integrity")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"packages[{i}]：package {name!r} 不是 npm 包名")
    where = f"{name}"
    if not isinstance(version, str) or not _VERSION.match(version):
        # an unquoted 1.10 would be read as the number 1.1
        raise ValueError(f"{where}：version {version!r} 应为加引号的确切版本，如 \"1.9.3\"")
    where = f"{name}@{version}"
    if not isinstance(integrity, str) or not _SHA512.match(integrity):
        raise ValueError(f"{where}：integrity 应为 npm 的 dist.integrity（sha512-<base64>）")
    keep = entry.get("keep")
    if not isinstance(keep, list) or not keep:
        raise ValueError(f"{where}：keep 应为非空列表")
    keep = tuple(_relative_path(k, f"{where} keep") for k in keep)
    if len(set(keep)) != len(keep):
        raise ValueError(f"{where}：keep 有重复项")
    replaces = entry.get("replaces")
    if not isinstance(replaces, dict) or not replaces:
        raise ValueError(f"{where}：replaces 应为非空映射（CDN 地址: 包内文件）")
    for url, path in replaces.items():
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ValueError(f"{where}：replaces 的键 {url!r} 应为 CDN 地址")
        _relative_path(path, f"{where} replaces", folder_ok=False)
        if not any(_covers(k, path) for k in keep):
            raise ValueError(f"{where}：replaces 指向的 {path} 不在 keep 中")
    return Package(name, version, integrity, keep, dict(replaces))


def load_manifest(path: Path | str = ASSETS_FILE) -> Manifest:
    """The packages and dropped links of ``data/web/assets.yaml``; a malformed file raises
    ManifestError naming the file and what is wrong."""
    path = Path(path)
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise ManifestError(f"{path}：无法读取 / cannot read: {err}") from err
    try:
        if not isinstance(raw, dict) or not isinstance(raw.get("packages"), list):
            raise ValueError("顶层应为含 packages 列表的映射")
        unknown = set(raw) - {"packages", "dropped"}
        if unknown:
            raise ValueError(f"未知的顶层字段：{', '.join(sorted(unknown))}")
        packages = tuple(_parse_package(e, i) for i, e in enumerate(raw["packages"]))
        dropped = {}
        for i, entry in enumerate(raw.get("dropped") or []):
            if (not isinstance(entry, dict) or set(entry) != {"url", "reason"}
                    or not isinstance(entry["url"], str)
                    or not isinstance(entry["reason"], str) or not entry["reason"].strip()):
                raise ValueError(f"dropped[{i}] 应为含 url 与 reason（非空）的映射")
            dropped[entry["url"]] = entry["reason"].strip()
        seen: dict[str, str] = {}
        owners = [(p.spec, url) for p in packages for url in p.replaces]
        owners += [("dropped", e["url"]) for e in raw.get("dropped") or []]
        for owner, url in owners:
            if url in seen:
                raise ValueError(f"{url} 出现两次（{seen[url]}、{owner}）")
            seen[url] = owner
        folders = [p.folder for p in packages]
        if len(set(folders)) != len(folders):
            raise ValueError("同一包版本列出了两次")
    except ValueError as err:
        raise ManifestError(f"{path}：{err}") from err
    return Manifest(path, packages, dropped)


_cache: dict[Path, tuple[float, Manifest]] = {}


def _default_manifest() -> Manifest:
    """The repository manifest, read again only when the file changes."""
    mtime = ASSETS_FILE.stat().st_mtime
    hit = _cache.get(ASSETS_FILE)
    if hit is None or hit[0] != mtime:
        _cache[ASSETS_FILE] = hit = (mtime, load_manifest(ASSETS_FILE))
    return hit[1]


def _as_manifest(manifest) -> Manifest:
    if manifest is None:
        return _default_manifest()
    if isinstance(manifest, Manifest):
        return manifest
    return load_manifest(manifest)


# --- install -----------------------------------------------------------------------------

def _download(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "cq-plan-map layers.web.assets"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            data = response.read(MAX_TARBALL_BYTES + 1)
    except (urllib.error.URLError, http.client.HTTPException, OSError) as err:
        reason = getattr(err, "reason", None) or err
        raise DownloadError(
            f"无法下载 {url}：{reason}。需要能访问 npm 仓库（可设代理 https_proxy，或用 --registry "
            f"指定镜像）；也可从已安装的机器复制 static/vendor/。"
            f" / Cannot download {url}: {reason}") from err
    if len(data) > MAX_TARBALL_BYTES:
        raise DownloadError(f"{url} 超过 {MAX_TARBALL_BYTES // 2**20} MB，不像清单里的包"
                            f" / tarball larger than expected")
    return data


def _check_integrity(package: Package, data: bytes, url: str) -> None:
    got = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")
    if got != package.integrity:
        raise IntegrityError(
            f"{package.spec} 校验失败，未安装 / integrity mismatch, nothing installed: "
            f"清单 expected {package.integrity}，下载 got {got}（{url}）")


def _inner_path(member_name: str) -> str:
    """A tarball member's path inside the package: npm tarballs put everything in one top
    folder (usually package/), which is dropped."""
    parts = [p for p in member_name.split("/") if p not in ("", ".")]
    return "/".join(parts[1:])


def _check_member(package: Package, member: tarfile.TarInfo) -> None:
    name = member.name
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        problem = "绝对路径 / absolute path"
    elif ".." in parts:
        problem = "含 .. / path goes up"
    elif member.issym() or member.islnk():
        problem = "链接 / link"
    elif not (member.isfile() or member.isdir()):
        problem = "特殊文件 / special file"
    else:
        return
    raise UnsafeTarballError(f"{package.spec} 的压缩包含不安全的成员 {name!r}（{problem}），"
                             "拒绝解包 / unsafe tarball rejected")


def _extract(package: Package, data: bytes, into: Path) -> None:
    """Write the kept files of the tarball into ``into``; every member is checked before
    anything is written, and files are copied out by hand, never by tarfile.extract."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members = tar.getmembers()
            for member in members:
                _check_member(package, member)
            wanted = {}
            for member in members:
                path = _inner_path(member.name)
                if member.isfile() and path and any(_covers(k, path) for k in package.keep):
                    wanted[path] = member
            absent = [k for k in package.keep if not any(_covers(k, p) for p in wanted)]
            if absent:
                raise AssetError(f"{package.spec} 的压缩包里没有 {'、'.join(absent)}"
                                 " / not in the tarball: 请核对 data/web/assets.yaml 的 keep")
            for path, member in sorted(wanted.items()):
                target = into.joinpath(*path.split("/"))
                target.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                with source, open(target, "wb") as out:
                    shutil.copyfileobj(source, out)
    except (tarfile.TarError, EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise AssetError(f"{package.spec} 的压缩包无法读取 / unreadable tarball: {err}") from err


def _stamp(package: Package) -> dict:
    return {"package": package.name, "version": package.version,
            "integrity": package.integrity, "keep": list(package.keep)}


def _absent(package: Package, static_dir: Path) -> list[str]:
    root = static_dir / package.folder
    out = []
    for kept in package.keep:
        target = root / kept
        present = (any(p.is_file() for p in target.rglob("*")) if kept.endswith("/")
                   else target.is_file())
        if not present:
            out.append(f"{package.folder}/{kept}")
    return out


def _is_installed(package: Package, static_dir: Path) -> bool:
    try:
        stamp = json.loads((static_dir / package.folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return stamp == _stamp(package) and not _absent(package, static_dir)


def _place(package: Package, data: bytes, dest: Path) -> None:
    """Unpack into a hidden sibling folder, then rename it into place: an interrupted install
    leaves no half package where the app looks."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    prefix = f".{dest.name}.partial-"
    for stale in dest.parent.glob(prefix + "*"):
        if time.time() - stale.stat().st_mtime > _STALE_SECONDS:
            shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=prefix, dir=dest.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the files are public and served
    old = None
    try:
        _extract(package, data, tmp)
        (tmp / STAMP).write_text(json.dumps(_stamp(package), ensure_ascii=False, indent=1),
                                 encoding="utf-8")
        if dest.exists():
            old = Path(tempfile.mkdtemp(prefix=prefix + "old-", dir=dest.parent))
            dest.rename(old / dest.name)
        tmp.rename(dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def install(static_dir: Path | str = STATIC_DIR, manifest=None,
            fetch: Callable[[str], bytes] | None = None, registry: str = REGISTRY) -> list[Path]:
    """Download, verify and unpack every package of the manifest that is not yet in
    ``static_dir``; returns the package folders installed (none when all are present).
    ``fetch`` (URL → bytes) replaces the download, for tests; ``registry`` may be a mirror,
    the sha512 check makes that safe."""
    manifest = _as_manifest(manifest)
    static_dir = Path(static_dir)
    fetch = fetch or _download
    installed = []
    for package in manifest.packages:
        if _is_installed(package, static_dir):
            continue
        url = package.tarball_url(registry)
        data = fetch(url)
        _check_integrity(package, data, url)  # before a single byte is unpacked
        dest = static_dir / package.folder
        _place(package, data, dest)
        installed.append(dest)
    return installed


def missing(static_dir: Path | str = STATIC_DIR, manifest=None) -> list[str]:
    """The manifest's files and folders not present in ``static_dir``, relative to it
    (``vendor/leaflet@1.9.3/dist/leaflet.js``); empty when the map can work offline."""
    manifest = _as_manifest(manifest)
    return [p for package in manifest.packages for p in _absent(package, Path(static_dir))]


# --- folium ------------------------------------------------------------------------------

def _is_external(url: str) -> bool:
    return url.startswith(("http://", "https://", "//"))


def local_url(cdn_url: str, manifest=None) -> str | None:
    """The ``/app/static/vendor/…`` URL standing for a CDN URL; None for a link the app drops.
    Local URLs come back unchanged; an external URL the manifest does not know raises."""
    manifest = _as_manifest(manifest)
    if cdn_url in manifest.urls:
        return manifest.urls[cdn_url]
    if not _is_external(cdn_url):
        return cdn_url
    raise _offline([cdn_url])


def _offline(urls: list[str]) -> OfflineAssetError:
    listed = "、".join(dict.fromkeys(urls))
    return OfflineAssetError(
        f"{listed} 没有本地副本，离线时地图会缺少它：请在 data/web/assets.yaml 中加入提供它的 "
        f"npm 包（或放进 dropped 并说明原因），再运行 {INSTALL_COMMAND}"
        f" / no local copy of {', '.join(dict.fromkeys(urls))}: add it to data/web/assets.yaml")


def _walk(element):
    """The elements whose links streamlit-folium loads, found the way it finds them."""
    if isinstance(element, branca.colormap.ColorMap):
        yield element
    if isinstance(element, folium.plugins.DualMap):
        yield from _walk(element.m1)
        yield from _walk(element.m2)
    if isinstance(element, JSCSSMixin):
        yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def asset_links(element) -> list[str]:
    """Every script and stylesheet URL the element tree makes streamlit-folium load, scripts
    first, without repeats."""
    js, css = [], []
    for e in _walk(element):
        if isinstance(e, branca.colormap.ColorMap):
            js[:0] = reversed(_COLORMAP_JS)
        css.extend(url for _, url in getattr(e, "default_css", []))
        js.extend(url for _, url in getattr(e, "default_js", []))
    return list(dict.fromkeys(js + css))


_ICON_FIX = "offline_icon_path"


def icon_path_fix() -> folium.MacroElement:
    """Leaflet guesses its image folder from where leaflet.css came from, but streamlit-folium
    adds the css after the scripts run, so the guess is wrong: say it outright."""
    return IconPath(LEAFLET_IMAGES_URL)


def localise(element, manifest=None):
    """Point every folium element under ``element`` at the vendored files (instance
    attributes: folium's classes keep their CDN links), drop the links the app does without,
    and give each map the icon path fix once. Raises OfflineAssetError, changing nothing,
    when some link has no local copy. Returns ``element``."""
    manifest = _as_manifest(manifest)
    found = list(_walk(element))
    unknown = []
    for e in found:
        if isinstance(e, branca.colormap.ColorMap):
            raise OfflineAssetError(
                "branca ColorMap 会让 streamlit-folium 从 CDN 加载 d3（地址写死在其代码里，"
                "无法本地化）：请改用 HTML 图例 / a ColorMap makes streamlit-folium load d3 "
                f"from {_COLORMAP_JS[0]}, which cannot be served locally")
        for attr in ("default_js", "default_css"):
            for _, url in getattr(e, attr, []):
                try:
                    local_url(url, manifest)
                except OfflineAssetError:
                    unknown.append(url)
    if unknown:
        raise _offline(unknown)
    for e in found:
        for attr in ("default_js", "default_css"):
            links = [(name, local_url(url, manifest)) for name, url in getattr(e, attr, [])]
            setattr(e, attr, [(name, url) for name, url in links if url is not None])
        if isinstance(e, folium.Map) and _ICON_FIX not in e._children:
            e.add_child(icon_path_fix(), name=_ICON_FIX)
            # first among the map's children, so it runs before any layer adds a marker
            e._children.move_to_end(_ICON_FIX, last=False)
    return element


def _leaflet_images_url(manifest: Manifest) -> str:
    leaflet_js = dict(folium.Map.default_js)["leaflet"]
    for package in manifest.packages:
        if leaflet_js in package.replaces:
            folder = PurePosixPath(package.replaces[leaflet_js]).parent
            return package.url_of(f"{folder}/images/")
    raise ManifestError(f"{manifest.path}：没有提供 {leaflet_js} 的包")


LEAFLET_IMAGES_URL = _leaflet_images_url(_default_manifest())

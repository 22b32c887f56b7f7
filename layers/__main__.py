"""Command line: ``python -m layers build [PLAN_FILES...]`` and
``python -m layers export --layer projects --out FILE.geojson``."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from layers.build import LAYER_NAMES, LAYERS_FILE, build, load_layer
from layers.export import write_geojson


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m layers", description="规划图层：构建与导出")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="从规划文本构建图层 GeoPackage")
    b.add_argument("plans", nargs="*", type=Path, help="规划文本（默认 data/plans/*.txt）")
    b.add_argument("--out", type=Path, default=LAYERS_FILE, help=f"输出（默认 {LAYERS_FILE}）")
    e = sub.add_parser("export", help="导出图层为 GeoJSON（RFC 7946）")
    e.add_argument("--layer", required=True, choices=LAYER_NAMES)
    e.add_argument("--out", required=True, type=Path)
    e.add_argument("--gpkg", type=Path, default=LAYERS_FILE, help="读取的 GeoPackage")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            for p in args.plans:
                if not p.is_file():
                    raise ValueError(f"找不到规划文件：{p}")
            result = build(args.plans or None, out=args.out)
            projects = result["layers"]["projects"]
            status = Counter(projects["status"]) if len(projects) else Counter()
            print(f"已构建 {result['path']}：{len(projects)} 个项目"
                  f"（已定位 {status['auto']}，待核 {status['review']}，"
                  f"未定位 {status['unlocated']}），用时 {result['seconds']:.2f} 秒")
        else:
            frame = load_layer(args.layer, args.gpkg)
            write_geojson(frame, args.out, name=args.layer)
            print(f"已导出 {args.layer}：{len(frame)} 个要素 → {args.out}")
    except ValueError as err:
        print(f"错误：{err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

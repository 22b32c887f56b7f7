"""Command line: python -m gazetteer {geocode,batch,scan,check,build}.

JSON goes to stdout, one object per line; progress bars and messages go to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm


def _dump(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


def resolution_record(res, query: str) -> dict:
    """The JSON object of one geocode answer (geocode and batch share it)."""
    best = res.best
    record = {"query": query, "resolved": best is not None, "status": res.status}
    fields = ("name", "lon", "lat", "kind", "district", "adcode", "precision_m", "source")
    if best is not None:
        record.update({k: getattr(best.place, k) for k in fields})
        record.update(id=best.place.id, confidence=round(best.confidence, 3),
                      matched_by=best.matched_by)
    else:
        record.update({k: None for k in fields}, confidence=0.0, matched_by=None)
    record["candidates"] = [c.as_dict() for c in res.candidates]
    if res.message:
        record["message"] = res.message
    return record


def cmd_geocode(args, gaz) -> int:
    res = gaz.resolve(args.name, district=args.district)
    record = resolution_record(res, args.name)
    if not record["resolved"] and args.online:
        record.update(_ask_online(args))
    if args.json:
        print(_dump(record))
    elif record["resolved"]:
        print(f"{record['name']}（{record['district']}，{record['kind']}）"
              f" {record['lon']:.6f}, {record['lat']:.6f} ±{record['precision_m'] or '?'} 米"
              f"  置信度 {record['confidence']}（{record['matched_by']}）  来源：{record['source']}")
    else:
        print(f"未能确定：{args.name}（{res.message}）")
        for c in record["candidates"]:
            where = f"{c['lon']:.5f}, {c['lat']:.5f}" if c.get("located") else "无坐标"
            print(f"  候选：{c['name']}（{c['district']}）{where}")
    return 0 if record["resolved"] else 1


def _ask_online(args) -> dict:
    """Ask the online services the user named; the answer is marked as theirs."""
    from gazetteer.online import OnlineFallback

    for provider in args.online:
        loc = OnlineFallback(provider).geocode(args.name)
        if loc is not None:
            raw = loc.raw
            return {"resolved": True, "status": "online", "name": loc.address,
                    "lon": loc.longitude, "lat": loc.latitude, "kind": raw["kind"],
                    "district": raw["district"], "adcode": raw["adcode"],
                    "precision_m": raw["precision_m"], "source": raw["source"],
                    "confidence": raw["confidence"], "matched_by": "online"}
    return {}


def _read_lines(source: str) -> list[str]:
    if source == "-":
        return sys.stdin.read().splitlines()
    return Path(source).read_text(encoding="utf-8", errors="replace").splitlines()


def cmd_batch(args, gaz) -> int:
    lines = _read_lines(args.file)
    for line in tqdm(lines, file=sys.stderr, unit="名", disable=None if len(lines) > 1000 else True):
        if line.strip():
            print(_dump(resolution_record(gaz.resolve(line, district=args.district), line)))
    return 0


def cmd_scan(args, gaz) -> int:
    from gazetteer.report import scan_report

    if args.report:
        print(scan_report(gaz, [Path(f) for f in args.files]))
        return 0
    by_id = gaz.place
    for f in tqdm(args.files, file=sys.stderr, unit="文件", disable=None):
        text = Path(f).read_text(encoding="utf-8", errors="replace")
        for m in gaz.find_places(text, district=args.district, document=str(f)):
            p = by_id(m.place_id) if m.place_id else None
            print(_dump({
                "file": str(f), "start": m.start, "end": m.end, "text": m.text,
                "name": m.name, "id": m.place_id, "lon": p.lon if p else None,
                "lat": p.lat if p else None, "district": p.district if p else None,
                "precision_m": p.precision_m if p else None, "confidence": m.confidence,
                "status": m.status, "matched_by": m.matched_by,
                "candidates": list(m.candidates), "note": m.note,
            }))
    return 0


def cmd_check(args, gaz) -> int:
    from gazetteer.check import check_places

    problems = check_places(gaz.places)
    for p in problems:
        print(p, file=sys.stderr)
    counts = {}
    for p in gaz.places:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    summary = "、".join(f"{k} {v}" for k, v in sorted(counts.items()))
    status = "通过" if not problems else f"失败：{len(problems)} 个问题"
    print(f"地名库检查{status}（{len(gaz.places)} 条：{summary}）")
    return 1 if problems else 0


def cmd_verify(args, gaz) -> int:
    from gazetteer.verify import recall_share, verify

    problems, summary, explained = verify(gaz)
    print("来源对比（地名库来源 ← 参照来源）：条数、距离中位数 / 90 分位 / 最大、在自述精度内的比例")
    for row in summary:
        print(f"  {row['place_source']} ← {row['reference_source']}: n={row['n']}，"
              f"{row['median_m']:.0f} / {row['p90_m']:.0f} / {row['max_m']:.0f} m，"
              f"{row['within_precision']:.0%}")
    others, alone, checked = recall_share(gaz.places)
    print(f"非街镇地名 {others} 条：仅凭记忆 {alone}（{alone / max(others, 1):.0%}），"
          f"记忆但有独立核对 {checked}")
    print(f"已解释的不一致 {len(explained)} 处（verify_explained.csv）")
    for p in problems:
        print(p, file=sys.stderr)
    print("核对通过" if not problems else f"核对失败：{len(problems)} 处未解释的不一致")
    return 1 if problems else 0


def cmd_build(args, gaz) -> int:
    from gazetteer.sources import build_all

    build_all(mirror=Path(args.mirror), log=lambda msg: print(msg, file=sys.stderr))
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gazetteer", description="重庆规划地名库")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("geocode", help="查询一个地名")
    p.add_argument("name")
    p.add_argument("--district", help="限定区县，例如 渝北区")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.add_argument("--online", action="append", default=[], metavar="服务",
                   help="离线查不到时询问在线服务（nominatim、arcgis、baidu；默认关闭）")
    p = sub.add_parser("batch", help="逐行查询文件中的地名（- 为标准输入）")
    p.add_argument("file")
    p.add_argument("--district")
    p = sub.add_parser("scan", help="找出文本中的全部地名")
    p.add_argument("files", nargs="+")
    p.add_argument("--district")
    p.add_argument("--report", action="store_true", help="输出未解析地名报告（Markdown）")
    sub.add_parser("check", help="校验地名库数据")
    sub.add_parser("verify", help="与其他开放来源交叉核对每个地名，报告超出精度的不一致")
    p = sub.add_parser("build", help="从开放数据重建生成的数据文件（需 requirements-build.txt）")
    from gazetteer.sources import DEFAULT_MIRROR
    p.add_argument("--mirror", default=str(DEFAULT_MIRROR),
                   help="GitHub 快照所在目录（搜索工具 fetch 的位置；默认 %(default)s）")
    args = parser.parse_args(argv)

    from gazetteer.core import Gazetteer

    handlers = {"geocode": cmd_geocode, "batch": cmd_batch, "scan": cmd_scan,
                "check": cmd_check, "verify": cmd_verify, "build": cmd_build}
    gaz = None if args.command == "build" else Gazetteer()
    try:
        return handlers[args.command](args, gaz)
    except (OSError, UnicodeError, ValueError, RuntimeError) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

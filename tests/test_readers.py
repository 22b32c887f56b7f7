"""Issue 14: plans in the formats planners receive give the projects their plain text gives.
Each format is generated here from the seed plans' texts."""

import html
import re

import pytest

from layers.ingest.html import html_text
from layers.ingest.projects import extract_projects
from layers.ingest.readers import (
    PLANS_DIR,
    load_document,
    load_documents,
    plan_files,
    read_manifest,
)

HEADING = re.compile(r"^\s*(第[一二三四五六七八九十百]+[章节篇]|[一二三四五六七八九十]+、)")

# A saved page of the city's 政策文件库 as a browser saves it: header and navigation,
# breadcrumbs, the metadata table, the article, share and print links, the footer.
GOVERNMENT_PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{title}_重庆市人民政府网</title>
<link rel="stylesheet" href="/css/main.css"><script src="/js/jquery.js"></script>
<script>var _hmt = _hmt || []; document.write("<p>统计代码</p>");</script></head>
<body><div class="header"><div class="logo">重庆市人民政府</div>
<ul class="nav-list"><li><a href="/">首页</a></li><li><a>要闻动态</a></li><li><a>政务公开</a></li>
<li><a>政务服务</a></li><li><a>互动交流</a></li><li><a>走进重庆</a></li></ul></div>
<div class="current-position">当前位置：<a>首页</a> &gt; <a>政务公开</a> &gt; <a>政策文件库</a></div>
<div class="zwxl-container">
<table class="zwxl-table"><tr><td>索引号：</td><td>11500000MB1503991Y/2021-00012</td>
<td>主题分类：</td><td>综合政务</td></tr><tr><td>发布机构：</td><td>重庆市人民政府</td>
<td>成文日期：</td><td>2021-02-01</td></tr><tr><td>标　　题：</td><td>{title}</td></tr></table>
<div class="zwxl-title"><h2>{title}</h2></div>
<div class="zwxl-article view TRS_UEDITOR trs_paper_default">
{body}
</div>
<div class="zwxl-share">分享到：<a>微信</a> <a>微博</a></div>
<div class="zwxl-print"><a>【打印本页】</a> <a>【关闭窗口】</a></div></div>
<div class="footer"><p>主办：重庆市人民政府办公厅　承办：重庆市政府电子政务中心</p>
<p>渝ICP备05003300号　渝公网安备 50010302000059号</p></div></body></html>"""


def as_government_page(text: str, title: str) -> str:
    rows = []
    for line in text.splitlines():
        if not line.strip():
            continue
        line = html.escape(line.strip())
        if HEADING.match(line):
            rows.append(f'<p style="text-align: center;"><strong>{line}</strong></p>')
        else:
            rows.append(f'<p style="text-indent: 2em;">{line}&nbsp;</p>')
    return GOVERNMENT_PAGE.format(title=html.escape(title), body="\n".join(rows))


def spaced(sections) -> tuple[str, ...]:
    return tuple(" ".join(s.split()) for s in sections)


def by_name(projects) -> dict:
    return {p.name: p for p in projects}


@pytest.fixture(scope="module")
def plain_projects(gaz):
    return by_name(extract_projects(load_documents(), gaz))


def test_a_government_page_gives_the_projects_of_its_plain_text(tmp_path, gaz, plain_projects):
    manifest = read_manifest()  # the plans' ids, titles and kinds, as an upload gives them
    for path in plan_files(PLANS_DIR):
        doc = load_document(path)
        page = tmp_path / f"{path.stem}.html"
        page.write_text(as_government_page(doc.text, doc.title), encoding="utf-8")
        manifest[page.name] = {**manifest[path.name], "file": page.name}
    pages = [load_document(p, manifest) for p in sorted(tmp_path.glob("*.html"))]
    assert all("网页正文" in d.reading for d in pages)
    assert not any("统计代码" in d.text or "当前位置" in d.text or "ICP" in d.text
                   or "索引号" in d.text or "打印本页" in d.text for d in pages)
    from_pages = by_name(extract_projects(pages, gaz))
    found = [n for n in plain_projects if n in from_pages]
    assert len(found) >= 0.95 * len(plain_projects), sorted(set(plain_projects) - set(found))
    # a page's text is rendered HTML: runs of spaces are one space, in headings too
    same_sections = [n for n in found if spaced(from_pages[n].sources[0].sections)
                     == spaced(plain_projects[n].sources[0].sections)]
    assert len(same_sections) >= 0.95 * len(found)


def test_a_page_without_chinese_text_is_refused_by_name(tmp_path):
    page = tmp_path / "login.html"
    page.write_text("<html><body><div class='nav'>首页</div><form>用户名</form>"
                    "<p>Please sign in</p></body></html>", encoding="utf-8")
    with pytest.raises(ValueError, match="login.html.*中文正文"):
        load_document(page)


def test_tables_read_as_rows_and_markup_in_text_stays_text():
    page = ("<div><p>专栏1　重大项目</p><table><tr><th>序号</th><th>项目</th></tr>"
            "<tr><td>1</td><td>礼嘉智慧公园&lt;script&gt;</td></tr></table>"
            "<script>alert(1)</script><p>建设<br>果园港</p></div>")
    assert html_text(page).splitlines() == [
        "专栏1　重大项目", "序号　项目", "1　礼嘉智慧公园<script>", "建设", "果园港"]


def test_a_gbk_page_is_read():
    from layers.ingest.readers import read_html

    raw = ('<html><head><meta charset="gb2312"></head><body><div class="article">'
           "<p>第一章 总则</p><p>建设果园港国家物流枢纽。</p></div></body></html>").encode("gbk")
    reading = read_html(raw, "page.htm")
    assert reading.text == "第一章 总则\n建设果园港国家物流枢纽。" and "GB18030" in reading.how

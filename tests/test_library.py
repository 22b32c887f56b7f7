"""Issue 14 (2): plans planners add live in the data folder, are read before anything is
stored, and join the seed plans in the build."""

import pytest

from layers.ingest import library
from layers.ingest.readers import PLANS_DIR, load_document, load_documents
from tests.plan_files import as_docx

NOTICE = """重庆市人民政府办公厅
关于印发《重庆市城市更新行动方案（2024—2026年）》的通知
渝府办发〔2024〕12号
各区县（自治县）人民政府，市政府各部门：
现将《重庆市城市更新行动方案（2024—2026年）》印发给你们，请认真贯彻执行。
第一章 总体要求
推进礼嘉智慧公园、九龙半岛等片区更新。
重庆市人民政府办公厅
二〇二四年三月五日
"""


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANMAP_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_details_the_text_suggests(data_dir):
    doc = library.read_upload(NOTICE.encode("gb18030"), "更新.txt")
    assert library.suggest_details(doc) == {
        "title": "重庆市城市更新行动方案（2024—2026年）",
        "issuer": "重庆市人民政府办公厅（渝府办发〔2024〕12号）",
        "date": "2024-03-05", "kind": "行动方案"}
    # a title set over several lines, as the five-year plans open
    cq14 = load_document(PLANS_DIR / "003_5b117a5749a753be.txt")
    assert library.suggest_details(cq14)["title"] == \
        "重庆市国民经济和社会发展第十四个五年规划和二〇三五年远景目标纲要"


def test_an_added_plan_lives_in_the_data_folder_and_joins_the_build(data_dir):
    seed = library.all_plan_files()
    row = library.add_plan(NOTICE.encode("utf-8"), "更新.txt", title=" 城市更新\x07方案 ",
                           by="王工")
    assert row["title"] == "城市更新 方案" and row["added_by"] == "王工"
    assert row["issuer"].startswith("重庆市人民政府办公厅")  # suggested when not given
    assert (data_dir / "plans" / row["file"]).read_text(encoding="utf-8") == NOTICE
    assert library.all_plan_files() == [*seed, data_dir / "plans" / row["file"]]
    assert not any(p.is_relative_to(PLANS_DIR.parent.parent / "layers") for p in seed)
    docs = library.load_all()
    assert docs[-1].doc_id == row["doc_id"] and docs[-1].title == "城市更新 方案"
    listed = {r["doc_id"]: r for r in library.plan_rows()}
    assert listed[row["doc_id"]]["origin"] == "added" and listed["cq14"]["origin"] == "seed"
    # the same file again is the same plan: its details replaced, not a second copy
    again = library.add_plan(NOTICE.encode("utf-8"), "副本.txt", title="城市更新行动方案")
    assert again["doc_id"] == row["doc_id"]
    assert [r["title"] for r in library.plan_rows() if r["origin"] == "added"] == ["城市更新行动方案"]
    library.remove_plan(row["doc_id"])
    assert library.all_plan_files() == seed and not list((data_dir / "plans").glob("u*"))


def test_a_file_that_cannot_be_read_stores_nothing(data_dir):
    with pytest.raises(ValueError, match="坏.docx"):
        library.add_plan(b"PK\x03\x04broken", "坏.docx")
    assert not (data_dir / "plans").exists()  # read before anything is written


def test_seed_plans_cannot_be_removed(data_dir):
    with pytest.raises(ValueError, match="随程序提供"):
        library.remove_plan("cq14")
    with pytest.raises(ValueError, match="没有编号"):
        library.remove_plan("u0000000000")


def test_cli_adds_a_word_plan_and_removes_it(data_dir, tmp_path, capsys):
    import layers.build as lb
    from layers.__main__ import main

    # the test run's own build folder (tests/conftest.py): the app's build, rebuilt twice
    (gx14,) = [d for d in load_documents() if d.doc_id == "gx14"]
    plan = tmp_path / "高新区.docx"
    plan.write_bytes(as_docx(gx14))
    assert main(["add", str(plan), "--title", "高新区纲要", "--date", "2021-05-01"]) == 0
    out = capsys.readouterr().out
    doc_id = library.content_id(plan.read_bytes())
    assert f"已添加 {doc_id}：高新区纲要" in out and "Word 文档" in out
    projects = lb.load_layer("projects")
    assert projects["doc_ids"].map(lambda ds: doc_id in ds).sum() > 100
    assert main(["plans"]) == 0 and doc_id in capsys.readouterr().out
    assert main(["remove", doc_id]) == 0
    projects = lb.load_layer("projects")
    assert not projects["doc_ids"].map(lambda ds: doc_id in ds).any()
    assert main(["remove", "cq14"]) == 2
    assert "随程序提供的规划，不能删除" in capsys.readouterr().err


def test_the_server_takes_the_largest_plan_and_refuses_a_larger_one_by_name(monkeypatch):
    """The uploader's limit is the readers' limit: a bigger file gets the readers' message,
    not a bare HTTP error."""
    import tomllib

    from geo.paths import REPO_DIR
    from layers.ingest import limits as limits_module
    from layers.ingest.limits import limits
    from layers.ingest.readers import read_plan

    config = tomllib.loads((REPO_DIR / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == limits()["max_file_mb"]
    monkeypatch.setattr(limits_module, "limits", lambda: {**limits(), "max_file_mb": 1})
    with pytest.raises(ValueError, match="大.txt 有 2 MB，超过上限 1 MB"):
        read_plan("第一章 总则\n".encode() * 120_000, "大.txt")

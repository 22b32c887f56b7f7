"""Roles: password users from secrets or a file, OIDC roles by email, the single-user default."""

import pytest

from layers.notes.access import Access, AccessError, User, hash_password, verify_password


def test_passwords_are_salted_hashes():
    stored = hash_password("规划2026")
    assert "规划2026" not in stored and stored != hash_password("规划2026")  # salted
    assert verify_password("规划2026", stored)
    assert not verify_password("规划2025", stored)
    assert not verify_password("规划2026", "garbage") and not verify_password("", stored)


def test_password_users_and_their_rights(tmp_path):
    config = {"planmap_users": {
        "张工": {"password_hash": hash_password("a"), "role": "editor"},
        "李工": {"password_hash": hash_password("b"), "role": "admin"},
        "访客": {"password_hash": hash_password("c")}}}
    access = Access.from_config(config)
    assert access.mode == "password"
    zhang = access.sign_in("张工", "a")
    assert zhang == User("张工", "editor")
    assert access.sign_in("张工", "b") is None and access.sign_in("无名", "a") is None
    assert zhang.may_change("张工") and not zhang.may_change("李工")
    li = access.sign_in("李工", "b")
    assert li.may_change("张工") and li.is_admin
    guest = access.sign_in("访客", "c")
    assert guest.role == "viewer" and not guest.can_write and not guest.may_change("访客")


def test_users_file_from_the_environment(tmp_path):
    path = tmp_path / "users.toml"
    path.write_text(f'[planmap_users."王工"]\npassword_hash = "{hash_password("x")}"\n'
                    'role = "editor"\n', encoding="utf-8")
    access = Access.from_config({}, environ={"PLANMAP_USERS_FILE": str(path)})
    assert access.sign_in("王工", "x") == User("王工", "editor")
    path.write_text("[planmap_users\n", encoding="utf-8")
    with pytest.raises(AccessError, match="无法读取用户文件"):
        Access.from_config({}, environ={"PLANMAP_USERS_FILE": str(path)})


@pytest.mark.parametrize("users, why", [
    ({"甲": {"role": "editor"}}, "缺少 password_hash"),
    ({"甲": {"password_hash": "h", "role": "boss"}}, "角色"),
])
def test_bad_configuration_says_what_to_fix(users, why):
    with pytest.raises(AccessError, match=why):
        Access.from_config({"planmap_users": users})


def test_oidc_roles_by_email_and_single_user_default():
    access = Access.from_config({"auth": {"redirect_uri": "x"},
                                 "planmap_roles": {"Zhang@Example.cn": "editor"}})
    assert access.mode == "oidc"
    assert access.oidc_user("zhang@example.cn", "张工") == User("张工", "editor")
    assert access.oidc_user("someone@example.cn").role == "viewer"
    single = Access.from_config(None, environ={})
    assert single.mode == "single" and single.single_user("我").may_change("别人")

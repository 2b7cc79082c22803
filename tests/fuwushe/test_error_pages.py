"""The admin's error pages are Chinese; the API's errors are JSON; sign-in never lands off-site."""

import pytest
from django.test import Client, RequestFactory

from fuwushe.errors import server_error
from tests.scoping.world import PASSWORD, World

pytestmark = pytest.mark.django_db

NUL_PAGE = "请求中含有空字符（\\u0000），无法处理。请检查链接或填写的内容。"


def signed_in(world: World, name: str) -> Client:
    client = Client()
    client.force_login(world.people[name])
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/members/member/?status=%00",
        "/admin/members/member/?q=%E7%8E%8B%00",
        "/admin/autocomplete/?app_label=members&model_name=member&field_name=club&term=%00",
        "/admin/members/member/%00/change/",
    ],
)
def test_a_nul_character_in_an_admin_url_gets_the_chinese_400_page(world: World, url: str):
    response = signed_in(world, "alice").get(url)

    assert response.status_code == 400
    page = response.content.decode()
    assert "<h1>请求有误</h1>" in page
    assert NUL_PAGE in page


def test_a_nul_character_in_a_urlencoded_admin_form_gets_the_chinese_400_page(world: World):
    response = signed_in(world, "carol").post(
        "/admin/org/community/add/",
        "name=%E8%8B%91%00",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 400
    assert NUL_PAGE in response.content.decode()


def test_a_page_the_user_may_not_open_gets_the_chinese_403_page(world: World):
    response = signed_in(world, "bob").get("/admin/auth/group/")

    assert response.status_code == 403
    page = response.content.decode()
    assert "<h1>没有权限</h1>" in page
    assert "您没有进行这项操作的权限。" in page


def test_a_form_posted_without_its_csrf_token_gets_the_chinese_csrf_page(world: World):
    client = Client(enforce_csrf_checks=True)

    response = client.post("/admin/login/", {"username": "alice", "password": PASSWORD})

    assert response.status_code == 403
    page = response.content.decode()
    assert "<h1>页面已过期，操作没有完成</h1>" in page
    assert "请刷新页面，重新填写后再提交" in page


def test_an_unknown_page_outside_the_api_gets_the_chinese_404_page():
    response = Client().get("/no-such-page/")

    assert response.status_code == 404
    assert "<h1>页面不存在</h1>" in response.content.decode()


def test_a_crash_outside_the_api_gets_the_chinese_500_page_and_inside_it_json():
    page = server_error(RequestFactory().get("/admin/"))
    api = server_error(RequestFactory().get("/api/members/"))

    assert page.status_code == 500
    assert "<h1>系统出错了</h1>" in page.content.decode()
    assert api.status_code == 500
    assert api["Content-Type"] == "application/json"
    assert "请联系管理中心" in api.content.decode()


@pytest.mark.parametrize(
    "unsafe", ["https://evil.example/", "//evil.example/admin/", "javascript:alert(1)"]
)
def test_a_sign_in_with_an_unsafe_next_lands_on_the_admin_index(world: World, unsafe: str):
    client = Client()

    response = client.post(
        f"/admin/login/?next={unsafe}",
        {"username": "alice", "password": PASSWORD, "next": unsafe},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_sign_in_with_a_safe_next_goes_there(world: World):
    response = Client().post(
        "/admin/login/?next=/admin/members/member/",
        {"username": "alice", "password": PASSWORD, "next": "/admin/members/member/"},
    )

    assert response.headers["Location"] == "/admin/members/member/"

import pytest
from django.apps import apps
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_login_page_is_in_chinese(client: Client):
    response = client.get("/admin/login/")

    assert response.status_code == 200
    page = response.content.decode()
    assert 'lang="zh-hans"' in page
    assert "党员服务社管理系统" in page
    assert "用户名" in page and "密码" in page


def test_an_anonymous_visitor_is_sent_to_the_login_page(client: Client):
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login/")


def test_the_site_root_leads_to_the_admin(client: Client):
    response = client.get("/")

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"


def test_a_superuser_reaches_the_admin_index(client: Client):
    client.force_login(UserFactory.create(username="root", is_superuser=True))

    response = client.get("/admin/")

    assert response.status_code == 200
    assert "组织与人员" in response.content.decode()


def test_a_non_production_site_is_labelled_as_such(client: Client):
    client.force_login(UserFactory.create(username="root", is_superuser=True))

    assert "开发演示环境" in client.get("/admin/").content.decode()


@pytest.mark.parametrize(
    ("label", "verbose_name"),
    [
        ("members", "党员名册"),
        ("volunteers", "志愿服务"),
        ("visits", "五必访五必报"),
        ("meetings", "会议议事"),
        ("org", "组织与人员"),
    ],
)
def test_each_domain_app_is_registered_with_a_chinese_name(label: str, verbose_name: str):
    assert apps.get_app_config(label).verbose_name == verbose_name


def test_a_missing_page_is_explained_in_chinese(client: Client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()

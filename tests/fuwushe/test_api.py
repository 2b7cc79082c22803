import pytest
from django.test import Client

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    return UserFactory.create(username="alice", first_name="爱丽丝")


def test_the_api_root_refuses_anonymous_visitors(client: Client):
    assert client.get("/api/").status_code in (401, 403)


def test_the_api_root_lists_its_entry_points_to_a_signed_in_user(client: Client, alice):
    client.force_login(alice)

    response = client.get("/api/")

    assert response.status_code == 200
    links = response.json()
    for name in ("me", "token", "schema", "docs"):
        assert links[name].startswith("http://testserver/api/")


def test_a_session_user_is_recognised(client: Client, alice):
    client.force_login(alice)

    response = client.get("/api/me/")

    assert response.status_code == 200
    assert response.json() == {"username": "alice", "full_name": "爱丽丝", "is_superuser": False}


def test_a_token_from_the_password_authenticates_later_requests(client: Client, alice):
    token = client.post("/api/auth/token/", {"username": "alice", "password": PASSWORD}).json()[
        "token"
    ]

    response = Client().get("/api/me/", HTTP_AUTHORIZATION=f"Token {token}")

    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_a_wrong_password_gets_no_token_and_a_chinese_reason(client: Client, alice):
    response = client.post("/api/auth/token/", {"username": "alice", "password": "wrong"})

    assert response.status_code == 400
    assert "token" not in response.json()
    assert "无法使用提供的认证信息登录" in response.content.decode()


def test_a_bad_token_is_refused(client: Client):
    response = client.get("/api/me/", HTTP_AUTHORIZATION="Token 0123456789abcdef")

    assert response.status_code in (401, 403)
    assert "username" not in response.json()


def test_the_openapi_schema_is_served_to_signed_in_users_only(client: Client, alice):
    assert client.get("/api/schema/").status_code in (401, 403)

    client.force_login(alice)
    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "党员服务社管理系统 API"
    assert "/api/me/" in schema["paths"]


def test_the_docs_page_loads_its_assets_locally_not_from_a_cdn(client: Client, alice):
    client.force_login(alice)

    page = client.get("/api/docs/").content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()

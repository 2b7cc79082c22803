"""Hostile or careless requests get a 4xx with a Chinese JSON message, never a 500."""

import json
from typing import Any

import pytest
from django.db import DataError, connection, transaction
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token

from fuwushe.api_errors import MAX_JSON_DEPTH, exception_handler
from members.models import Member, MemberTransfer
from tests.scoping.world import World

pytestmark = pytest.mark.django_db

MEMBERS = "/api/members/"
TOO_DEEP = {"detail": "请求内容嵌套过深，无法处理。"}
NUL_IN_JSON = {"detail": "请求内容含有空字符（\\u0000），无法处理。"}
NUL_IN_REQUEST = {"detail": "请求中含有空字符（\\u0000），无法处理。请检查链接或填写的内容。"}
# Nested past what json.loads can recurse into: a RecursionError without the parser's guard.
DEEP_LIST = "[" * 100_000 + "]" * 100_000


def token_client(world: World, name: str) -> Client:
    token, _ = Token.objects.get_or_create(user=world.people[name])
    return Client(HTTP_AUTHORIZATION=f"Token {token.key}")


def _an_id(path: str) -> str:
    """A record the center sees, so that the body is read before any 404."""
    model = MemberTransfer if path.startswith("/api/member-transfers/") else Member
    return str(model.objects.values_list("pk", flat=True).first() or 0)


def writable_operations() -> list[tuple[str, str]]:
    """Every (method, path) of the schema that takes a body, ids of existing records."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method, path.replace("{id}", _an_id(path)))
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("post", "put", "patch")
    ]


def send(client: Client, method: str, path: str, body: str, **extra: Any) -> Any:
    return getattr(client, method)(path, body, content_type="application/json", **extra)


def test_every_writable_endpoint_is_found_in_the_schema(world: World):
    operations = writable_operations()

    assert ("post", "/api/auth/token/") in operations
    assert ("post", MEMBERS) in operations
    assert ("patch", f"/api/members/{_an_id(MEMBERS)}/") in operations
    transfer = _an_id("/api/member-transfers/")
    assert ("post", f"/api/member-transfers/{transfer}/accept/") in operations


def test_deeply_nested_json_is_refused_on_every_writable_endpoint(world: World):
    client = token_client(world, "carol")
    nested_objects = '{"name": ' * (MAX_JSON_DEPTH + 1) + "1" + "}" * (MAX_JSON_DEPTH + 1)

    for method, path in writable_operations():
        for body in (DEEP_LIST, nested_objects):
            response = send(client, method, path, body)
            assert (response.status_code, response.json()) == (400, TOO_DEEP), (method, path)


def test_deeply_nested_json_to_the_token_endpoint_is_refused_without_signing_in():
    response = Client().post("/api/auth/token/", DEEP_LIST, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == TOO_DEEP


def test_json_nested_as_deep_as_allowed_is_read(world: World):
    client = token_client(world, "carol")
    body = {"club": world.club_a.pk, "tags": [[[["x"]]]]}

    response = client.post(MEMBERS, body, content_type="application/json")

    assert response.status_code == 400
    assert "tags" in response.json()


def test_a_nul_character_in_a_json_string_or_key_is_refused(world: World):
    client = token_client(world, "carol")

    for body in ({"name": "王\x00"}, {"tags": ["书\x00法"]}, {"na\x00me": "王"}):
        response = client.post(MEMBERS, body, content_type="application/json")
        assert (response.status_code, response.json()) == (400, NUL_IN_JSON), body


def test_a_nul_character_in_a_query_or_form_is_refused_before_any_view(world: World):
    client = token_client(world, "carol")

    for response in (
        client.get(MEMBERS, {"status": "\x00"}),
        client.get(MEMBERS, {"search": "王\x00"}),
        client.get(MEMBERS + "?%00=1"),
        client.post(
            "/api/auth/token/",
            "username=a%00&password=b",
            content_type="application/x-www-form-urlencoded",
        ),
        client.get("/api/members/%00/"),
        Client(HTTP_AUTHORIZATION="Token abc\x00def").get("/api/me/"),
        Client(HTTP_COOKIE="sessionid=abcdefgh\x00ij").get(MEMBERS),
    ):
        assert response.status_code == 400
        assert response.json() == NUL_IN_REQUEST


def test_a_form_body_with_a_nul_character_in_a_multipart_field_is_refused(world: World):
    client = token_client(world, "carol")

    response = client.post(MEMBERS, {"name": "王\x00", "club": str(world.club_a.pk)})

    assert response.status_code == 400
    assert response.json() == NUL_IN_JSON


# --- Related ids ------------------------------------------------------------------------

NOT_AN_ID = "“居住小区”应填记录编号（整数），收到的是{}。"
NO_SUCH = "所选的“居住小区”（编号 {}）不存在，或不在您的管理范围内。"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("1.5", NOT_AN_ID.format("小数")),
        ("1e400", NOT_AN_ID.format("小数")),
        ("true", NOT_AN_ID.format("布尔值")),
        ('"abc"', NOT_AN_ID.format("文本")),
        ('"1.5"', NOT_AN_ID.format("文本")),
        ('"-1"', NOT_AN_ID.format("文本")),
        ('"１２"', NOT_AN_ID.format("文本")),
        ("[]", NOT_AN_ID.format("列表")),
        ("{}", NOT_AN_ID.format("对象")),
        ("-1", NO_SUCH.format("-1")),
        ("9223372036854775808", NO_SUCH.format("9223372036854775808")),
        ('"99999999999999999999"', NO_SUCH.format("99999999999999999999")),
        ("1" + "0" * 40, NO_SUCH.format("1" + "0" * 19 + "…")),
    ],
)
def test_a_related_id_that_is_not_a_whole_number_in_range_is_refused(
    world: World, raw: str, message: str
):
    client = token_client(world, "carol")
    body = f'{{"club": {world.club_a.pk}, "name": "王", "community": {raw}}}'

    response = client.post(MEMBERS, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["community"] == [message]


@pytest.mark.parametrize("raw", ["1e400", "1.5", "true"])
def test_a_receiving_club_that_is_not_a_whole_number_is_refused(world: World, raw: str):
    member = Member.objects.filter(club=world.club_a, transfers__isnull=True).first()
    assert member is not None
    body = f'{{"member": {member.pk}, "to_club": {raw}}}'

    response = token_client(world, "alice").post(
        "/api/member-transfers/", body, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["to_club"][0].startswith("“转入服务社”应填记录编号（整数）")
    assert not MemberTransfer.objects.filter(member=member).exists()


def test_a_related_id_may_be_sent_as_a_string_of_digits(world: World):
    client = token_client(world, "carol")
    community = world.club_a.communities.first()
    assert community is not None
    body = {"community": str(community.pk), "club": str(world.club_a.pk), "name": "王"}

    response = client.post(MEMBERS, body, content_type="application/json")

    assert response.status_code == 400
    assert "community" not in response.json()
    assert "club" not in response.json()


def test_another_clubs_id_is_refused_as_if_it_did_not_exist(world: World):
    client = token_client(world, "alice")
    community = world.club_b.communities.first()
    assert community is not None
    body = {"club": world.club_a.pk, "name": "王", "community": community.pk}

    response = client.post(MEMBERS, body, content_type="application/json")

    assert response.json()["community"] == [NO_SUCH.format(community.pk)]


# --- Errors are JSON and Chinese ----------------------------------------------------------


def test_an_unknown_url_under_the_api_is_a_json_404():
    response = Client().get("/api/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "未找到。"}


def test_an_unknown_record_is_a_json_404(world: World):
    response = token_client(world, "carol").get("/api/members/999999999/")

    assert response.status_code == 404
    assert response.json() == {"detail": "未找到。"}


def test_a_body_over_the_upload_limit_is_a_json_413(world: World, settings: Any):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = json.dumps({"name": "王" * 600_000})

    for client, path in ((token_client(world, "carol"), MEMBERS), (Client(), "/api/auth/token/")):
        response = client.post(path, body, content_type="application/json")
        assert response.status_code == 413, path
        assert response.json() == {"detail": "请求内容过大（上限 1 MB）。"}


def test_too_many_form_fields_is_a_json_400(world: World):
    body = "&".join(f"f{i}=1" for i in range(1001))

    response = token_client(world, "carol").post(
        MEMBERS, body, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "提交的字段过多（上限 1000 个）。"}


def test_too_many_query_parameters_is_a_json_400(world: World):
    query = "&".join(f"f{i}=1" for i in range(1001))

    response = token_client(world, "carol").get(f"{MEMBERS}?{query}")

    assert response.status_code == 400
    assert response.json() == {"detail": "提交的字段过多（上限 1000 个）。"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"name": ', "请求内容不是有效的 JSON（第 1 行第 10 列附近有误）。"),
        ('{"name": NaN}', "请求内容不是有效的 JSON。"),
        ('{"n": ' + "9" * 5000 + "}", "请求内容不是有效的 JSON。"),
        (b'{"name": "\xff"}', "请求内容不是有效的 JSON。"),
    ],
)
def test_a_body_that_is_not_json_is_refused_in_chinese(world: World, body: Any, message: str):
    response = token_client(world, "carol").post(MEMBERS, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {"detail": message}


def test_an_unknown_charset_is_refused_in_chinese(world: World):
    response = token_client(world, "carol").generic(
        "POST", MEMBERS, b"{}", content_type="application/json; charset=bz2_codec"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "请求头 Content-Type 中的字符编码不受支持。"}


def test_a_broken_multipart_body_is_refused_in_chinese(world: World):
    response = token_client(world, "carol").post(
        MEMBERS, b"--x\r\n", content_type="multipart/form-data"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "表单内容（multipart/form-data）格式不正确。"}


def test_the_frameworks_own_refusals_are_in_chinese(world: World):
    client = token_client(world, "carol")

    cases = [
        (client.put(MEMBERS, {}), 405, "方法 “PUT” 不被允许。"),
        (
            client.post(MEMBERS, "x", content_type="text/plain"),
            415,
            "不支持请求中的媒体类型 “text/plain”。",
        ),
        (Client().get(MEMBERS), 403, "身份认证信息未提供。"),
        (Client(HTTP_AUTHORIZATION="Token nope").get(MEMBERS), 403, "认证令牌无效。"),
    ]

    for response, status, message in cases:
        assert response.status_code == status
        assert response.json() == {"detail": message}


def test_a_session_write_without_its_csrf_token_is_refused_in_chinese(world: World):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.people["carol"])

    response = client.post(MEMBERS, {}, content_type="application/json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "CSRF 校验失败：请刷新页面后重试。程序调用接口请使用令牌（Token）认证。"
    }


def test_a_value_the_database_refuses_is_answered_400_and_logged(caplog: pytest.LogCaptureFixture):
    with pytest.raises(DataError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 99999999999::integer")

    response = exception_handler(caught.value, {})

    assert response is not None
    assert (response.status_code, response.data) == (
        400,
        {"detail": "提交的值超出允许的范围或格式不正确，请检查后重试。"},
    )
    assert "API 请求的数据被数据库拒绝" in caplog.messages

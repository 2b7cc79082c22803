"""A plan kept on the import record comes back as it was, warnings included."""

from fuwushe.imports.registry import Plan, RowError, RowWarning


def test_a_kept_plan_comes_back_with_its_errors_and_warnings_apart():
    plan = Plan(
        rows=3,
        created=2,
        errors=[RowError(2, "身份证号", "1", "bad_id_format", "格式不对")],
        error_rows=1,
        warnings=[RowWarning(3, "所在小区", "某某小区", "community_unknown", "未知小区")],
        operations={"create": []},
    )

    kept = Plan.from_dict(plan.as_dict())

    assert kept == plan
    assert kept.as_dict()["warnings"] == [
        {
            "row": 3,
            "column": "所在小区",
            "value": "某某小区",
            "code": "community_unknown",
            "message": "未知小区",
        }
    ]


def test_a_plan_kept_before_warnings_existed_reads_as_having_none():
    stored = Plan(rows=1, created=1).as_dict()
    del stored["warnings"]

    assert Plan.from_dict(stored).warnings == []

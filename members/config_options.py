"""The members registry's settings the center may change (see fuwushe/config/registry.py)."""

from fuwushe.config.registry import Option, register

ID_LOOKUP_LIMIT = register(
    Option(
        key="id_lookup_limit",
        label="身份证号核对次数上限（24 小时）",
        help_text=(
            "一名工作人员 24 小时内最多能得到多少次“该号码已在其他服务社登记”或"
            "“与本社某人的打码号码相近却不存在”的答复（同一号码只计一次）；"
            "达到上限后暂停其核对身份证号，直到计数回落，并留下记录供中心查看。"
            "核对本社已有党员（如重新导入本社名册）不计入。"
        ),
        type=int,
        default=20,
        min_value=1,
        max_value=10000,
    )
)

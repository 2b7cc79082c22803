"""Valid resident ID numbers for tests, built with python-stdnum's check character."""

from datetime import date

from stdnum.cn import ric


def id_number(
    region: str = "370502", born: date = date(1945, 3, 1), seq: int = 1, male: bool = True
) -> str:
    """An 18-character ID number: region, birth date, a sequence code of the right parity
    (odd for men, even for women) and its GB 11643 check character.

    `seq` (0–499) picks the number among those of the same region, day and gender.
    """
    code = seq * 2 + (1 if male else 0)
    body = f"{region}{born:%Y%m%d}{code:03d}"
    return body + ric.calc_check_digit(body + "0")

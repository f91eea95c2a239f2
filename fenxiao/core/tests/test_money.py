import pytest
from hypothesis import given
from hypothesis import strategies as st

from fenxiao.core.money import MoneyFormatError, allocate, apply_bps, format_yuan, parse_yuan


@pytest.mark.parametrize(
    ("text", "fen"), [("12.50", 1250), ("0.01", 1), ("100", 10000), ("¥1,234.5", 123450), (" 3.00 ", 300)]
)
def test_parse_yuan(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["", "abc", "1.234", "NaN", "Infinity"])
def test_parse_yuan_rejects(text):
    with pytest.raises(MoneyFormatError):
        parse_yuan(text)


def test_format_yuan():
    assert format_yuan(12345) == "123.45"
    assert format_yuan(5) == "0.05"
    assert format_yuan(-150) == "-1.50"


def test_apply_bps_rounds_half_up():
    assert apply_bps(10000, 1000) == 1000
    assert apply_bps(5, 1000) == 1  # 0.5 -> 1
    assert apply_bps(4, 1000) == 0
    assert apply_bps(-5, 1000) == -1


def test_allocate_example():
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(-100, [1, 1, 1]) == [-34, -33, -33]
    assert allocate(0, [0, 0]) == [0, 0]


@given(st.integers(-(10**9), 10**9), st.lists(st.integers(0, 10**6), min_size=1, max_size=20).filter(any))
def test_allocate_parts_sum_to_whole(total, weights):
    parts = allocate(total, weights)
    assert sum(parts) == total
    weight_sum = sum(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = total * weight / weight_sum
        assert abs(part - exact) < 1 + 1e-9

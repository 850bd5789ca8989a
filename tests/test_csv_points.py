"""Your own points from CSV (``chainrule.csv_points``): what is read, and one clear error per bad line."""

from __future__ import annotations

import numpy as np
import pytest

from chainrule.csv_points import CsvError, MAX_REPORTED, parse_points, read_points, to_csv
from chainrule.errors import InvalidValueError


def test_points_are_read_with_a_header_comments_and_blank_lines():
    text = "x, y, label\n# a comment\n\n0.5, -1.25, 1\n-3e-1,0.8,0\n  1 , 2 , 1.0 \n"
    p = parse_points(text)
    assert p.X.tolist() == [[0.5, -1.25], [-0.3, 0.8], [1.0, 2.0]]
    assert p.labels.tolist() == [1, 0, 1] and p.labels.dtype == np.int64
    assert p.classes == [0, 1]
    assert p.rows() == [[0.5, -1.25, 1], [-0.3, 0.8, 0], [1.0, 2.0, 1]]


def test_regression_points_keep_their_target_values():
    p = parse_points("0,0,0.25\n1,1,-3.5\n", kind="regression")
    assert p.labels.tolist() == [0.25, -3.5] and p.classes == []


@pytest.mark.parametrize("line,message", [
    ("1,2", "2 values; allowed: exactly 3"),
    ("1,2,1,4", "4 values"),
    ("abc,2,1", "x 'abc' is not a number"),
    ("1,,1", "y is empty"),
    ("nan,2,1", "x 'nan' is not a finite number"),
    ("1,1e999,1", "not a finite number"),
    ("1,2,2", "the label '2' is not a class; allowed: 0, 1"),
    ("1,2,0.5", "the label '0.5' is not a class"),
    ("1,2,yes", "the label 'yes' is not a class"),
    ("1,2,", "the label empty is not a class"),
    ("11,2,1", "x 11 is outside the allowed range; allowed: -10 to 10"),
])
def test_each_bad_line_is_named_with_its_number_and_what_is_wrong(line, message):
    with pytest.raises(CsvError) as err:
        parse_points(f"x,y,label\n0,0,1\n{line}\n", coord_limit=10)
    assert err.value.problems == [(3, err.value.problems[0][1])]
    assert message in err.value.problems[0][1]
    assert str(err.value).startswith("CSV: line 3: ") and "\n" not in str(err.value)
    assert isinstance(err.value, InvalidValueError)


def test_every_bad_line_is_reported_once_and_the_message_stays_one_line():
    good = "0,0,1\n"
    bad = "".join(f"{k},x,1\n" for k in range(30))
    with pytest.raises(CsvError) as err:
        parse_points(good + bad)
    assert [n for n, _ in err.value.problems] == list(range(2, 32))
    assert "(and 27 more bad lines)" in str(err.value) and "\n" not in str(err.value)
    assert MAX_REPORTED >= 3


def test_the_size_and_the_number_of_points_are_bounded():
    with pytest.raises(CsvError, match="too long; allowed: at most 100"):
        parse_points("0,0,1\n" * 50, max_bytes=100)
    with pytest.raises(CsvError, match="more than 3 points; allowed: at most 3"):
        parse_points("0,0,1\n" * 4, max_points=3)
    with pytest.raises(CsvError, match="no points found"):
        parse_points("# nothing\n\n")


def test_more_classes_can_be_allowed_for_the_command_line():
    assert parse_points("0,0,4\n1,1,0\n", classes=5).classes == [0, 4]
    with pytest.raises(CsvError, match="allowed: 0, 1, 2, 3, 4"):
        parse_points("0,0,5\n", classes=5)


def test_a_file_round_trips_through_to_csv(tmp_path):
    rng = np.random.default_rng(0)
    rows = "".join(f"{float(x)!r},{float(y)!r},{int(c)}\n" for x, y, c in zip(rng.normal(size=50), rng.normal(size=50), rng.integers(0, 2, 50)))
    path = tmp_path / "points.csv"
    path.write_text("\ufeffx,y,label\n" + rows, encoding="utf-8")  # a spreadsheet's byte-order mark
    p = read_points(path)
    again = parse_points(to_csv(p))
    assert again.X.tolist() == p.X.tolist() and again.labels.tolist() == p.labels.tolist()


def test_unreadable_files_are_one_clear_error(tmp_path):
    with pytest.raises(InvalidValueError, match="cannot read"):
        read_points(tmp_path / "missing.csv")
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(CsvError, match="not UTF-8"):
        read_points(binary)
    big = tmp_path / "big.csv"
    big.write_text("0,0,1\n" * 100)
    with pytest.raises(InvalidValueError, match="larger than 50 bytes; allowed: at most 50"):  # counted as read
        read_points(big, max_bytes=50)

"""Tests of analysis/io.py: atomic writes and the deterministic CSV text."""
from __future__ import annotations

import pandas as pd
import pytest

from analysis import io


def test_frame_to_csv_is_plain_and_deterministic():
    frame = pd.DataFrame({"name": ["a", "b"], "amount_yuan": [1 / 3, 2_400_000.0], "households": [243, 113]},
                         index=[7, 9])
    # no index; floats with 10 significant digits (1/3 -> 0.3333333333; 2,400,000.0 -> 2400000); "\n" line ends
    assert io.frame_to_csv(frame) == "name,amount_yuan,households\na,0.3333333333,243\nb,2400000,113\n"


def test_write_text_leaves_no_file_when_the_write_fails(tmp_path):
    target = tmp_path / "out" / "table.csv"
    io.write_text(target, "old\n")
    with pytest.raises(RuntimeError):
        with io.atomic_path(target) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise RuntimeError("stop")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in target.parent.iterdir()) == ["table.csv"]

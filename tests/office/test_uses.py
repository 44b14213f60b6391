"""考评结果运用: each list with the evidence behind its entries (hand-computed grades)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl

from pipeline.cli import main
from tests.office.test_rectification import campaign  # noqa: F401  (fixture)


def rows_of(path: Path, sheet: str) -> list[dict[str, Any]]:
    rows = list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))
    return [dict(zip(rows[1], r, strict=True)) for r in rows[2:]]


def test_lists_and_their_evidence(campaign: tuple[Path, Path]) -> None:  # noqa: F811
    inputs, outputs = campaign
    assert (
        main(
            [
                "--quiet",
                "--inputs",
                str(inputs),
                "--outputs",
                str(outputs),
                "rectification",
                "--as-of",
                "2026-11-27",
            ]
        )
        == 0
    )
    assert (
        main(["--quiet", "--inputs", str(inputs), "--outputs", str(outputs), "uses", "--as-of", "2026-11-27"])
        == 0
    )
    path = outputs / "2026-11-27" / "考评结果运用.xlsx"
    # 王建国 and 张伟: fulfilment 100, peer (6*100+3*80+60)/10 = 90, satisfaction 96
    # -> 40 + 36 + 19.2 = 95.20 each: both 好 (tied at the 1/3 cap: kept, 并列保留).
    good = rows_of(path, "优秀共产党员推荐")
    assert sorted(r["姓名"] for r in good) == ["张伟", "王建国"]
    assert all(r["综合得分"] == 95.2 for r in good)
    assert all("实事好事：" in r["承诺事项及状态"] and "（按期完成）" in r["承诺事项及状态"] for r in good)
    # 张伟 is the only probationary member.
    prob = rows_of(path, "预备党员转正参考")
    assert [(r["姓名"], r["最终等次"], r["审核通过承诺"], r["按期完成"]) for r in prob] == [
        ("张伟", "好", 3, 3)
    ]
    # 李秀英: 差 by the 差-vote rule, with the rectification issued on 11-27.
    poor = rows_of(path, "不合格党员处置参考")
    assert [(r["姓名"], r["最终等次"], r["整改期限"].date().isoformat()) for r in poor] == [
        ("李秀英", "差", "2026-12-27")
    ]
    assert poor[0]["处理建议"] == "整改中（期限 2026-12-27，还有 30 天）"
    assert "差票" in poor[0]["评定依据"]

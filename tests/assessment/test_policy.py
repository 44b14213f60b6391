"""The [assessment] settings: documented defaults load; a wrong key names itself (exit 2)."""

from __future__ import annotations

import copy
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from pipeline.assessment.policy import TIES_KEEP, parse_policy
from pipeline.cli import main
from pipeline.core.errors import SettingsError
from tests.builders import make_inputs, settings_dict


def _set(data: dict[str, Any], key: str, value: object) -> dict[str, Any]:
    data = copy.deepcopy(data)
    *path, last = key.split(".")
    node = data
    for part in path:
        node = node[part]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return data


def test_documented_defaults() -> None:
    p = parse_policy(settings_dict())
    assert p.weights == {"fulfilment": 0.4, "peer_review": 0.4, "satisfaction": 0.2}
    assert p.thresholds == {"好": 90.0, "较好": 80.0, "一般": 60.0}
    assert p.duty_report.enabled and p.duty_report.max_grade == "一般"
    assert p.overdue.enabled and p.overdue.max_grade == "较好"
    assert p.poor_votes_enabled and p.poor_votes_share == Fraction(1, 3)
    assert p.good_cap_enabled and p.good_cap_share == Fraction(1, 3) and p.good_cap_ties == TIES_KEEP
    assert p.probationary == "评定" and p.require_peer_review and p.rectify_days == 30
    assert sum(p.unit_weights.values()) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1/3", Fraction(1, 3)), (0.3, Fraction(3, 10)), ("１／２", Fraction(1, 2)), (1, Fraction(1))],
)
def test_share_forms(value: object, expected: Fraction) -> None:
    assert parse_policy(_set(settings_dict(), "assessment.good_cap.share", value)).good_cap_share == expected


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("assessment.weights.fulfilment", None, "assessment.weights.fulfilment"),
        ("assessment.weights.fulfilment", 0.5, "assessment.weights"),
        ("assessment.thresholds.好", "九十", "assessment.thresholds.好"),
        ("assessment.thresholds.较好", 95, "assessment.thresholds"),
        ("assessment.rules.overdue.max_grade", "优秀", "assessment.rules.overdue.max_grade"),
        ("assessment.rules.duty_report.enabled", "是", "assessment.rules.duty_report.enabled"),
        ("assessment.rules.poor_votes.share", "三分之一", "assessment.rules.poor_votes.share"),
        ("assessment.good_cap.share", 0, "assessment.good_cap.share"),
        ("assessment.good_cap.ties", "随便", "assessment.good_cap.ties"),
        ("assessment.probationary", "不评", "assessment.probationary"),
        ("assessment.rectify_days", 0, "assessment.rectify_days"),
        ("assessment.fulfilment_credit.逾期完成", 1.5, "assessment.fulfilment_credit.逾期完成"),
        ("assessment.peer_review_points.差", None, "assessment.peer_review_points.差"),
        ("assessment", None, "assessment"),
    ],
)
def test_wrong_key_is_named(key: str, value: object, named: str) -> None:
    with pytest.raises(SettingsError) as err:
        parse_policy(_set(settings_dict(), key, value))
    assert named in str(err.value)


def test_cli_exit_2_names_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inputs = make_inputs(tmp_path)
    toml = (inputs / "campaign.toml").read_text(encoding="utf-8")
    (inputs / "campaign.toml").write_text(
        toml.replace('ties = "并列保留"', 'ties = "抽签"'), encoding="utf-8"
    )
    rc = main(
        ["--inputs", str(inputs), "--outputs", str(tmp_path / "out"), "ratings", "--as-of", "2026-11-27"]
    )
    assert rc == 2
    assert "assessment.good_cap.ties" in capsys.readouterr().err
    assert not (tmp_path / "out" / "2026-11-27").exists()

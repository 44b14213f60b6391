"""Year-end assessment (考核评价): evaluation forms, tallies, proposed grades, overrides.

- :mod:`.policy`: the ``[assessment]`` section of ``campaign.toml`` (every number lives there).
- :mod:`.layout`: the evaluation workbook (考核评价表) and the result sheets' column names.
- :mod:`.template`: writes one evaluation workbook per unit (``pledge eval-templates``).
- :mod:`.reader`: reads returned evaluation workbooks and the leadership group's decisions.
- :mod:`.scoring`: pure scoring and grading on DataFrames (no disk).
- :mod:`.writer`: 评价结果.xlsx and the public notice 公示_考核结果.html.
"""

"""``outputs/收信记录.xlsx``: what the last ``fetch-mail`` run did, for the clerk.

Two sheets: 收到的填报表 (every workbook attachment: saved where, or the file already
holding the same bytes) and 问题清单 (the run's findings: unknown senders, messages
without a workbook, oversized or unsafe attachments, messages to retry).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.infra.atomic import atomic_path
from pipeline.jobs.fetch_mail import FetchResult
from pipeline.outputs.sheet import write_frame
from pipeline.outputs.xlsx import formats, new_workbook

RECORD_FILE = "收信记录.xlsx"
COLUMNS = ["收到时间", "发件人", "邮件主题", "附件名", "单位编码", "结果", "保存为 / 相同的文件"]


def record_frame(r: FetchResult) -> pd.DataFrame:
    rows = []
    for s, what in [(s, "已保存") for s in r.saved] + [(s, "重复发送，未再保存") for s in r.duplicates]:
        rows.append(
            [
                f"{s.letter.received.astimezone():%Y-%m-%d %H:%M:%S}" if s.letter.received else "",
                s.letter.who,
                s.letter.subject,
                s.attachment.shown.strip("“”"),
                s.unit_code,
                what,
                s.saved_as or s.duplicate_of,
            ]
        )
    return pd.DataFrame(rows, columns=COLUMNS, dtype=str)


def write_record(r: FetchResult, path: Path) -> None:
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        fmt = formats(wb)
        write_frame(wb.add_worksheet("收到的填报表"), record_frame(r), fmt)
        write_frame(wb.add_worksheet("问题清单"), r.findings.to_frame(), fmt)
        wb.close()

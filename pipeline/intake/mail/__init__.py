"""The mail intake: returned workbooks straight from the office mailbox (issue 14).

- :mod:`.names`: header text and attachment names as Chinese mail clients write them;
- :mod:`.message`: one message -> workbook attachments, other attachments, problems;
- :mod:`.sources`: where messages come from (IMAP, read-only; a folder of exports);
- :mod:`.state`: what has been fetched already;
- :mod:`.secrets`: the mailbox password (environment or system keyring).

The job that saves attachments and appends the arrival log is
:mod:`pipeline.jobs.fetch_mail`.
"""

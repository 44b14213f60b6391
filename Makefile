# Make targets are thin wrappers over the CLI (`python -m pipeline ...`).
# Every date-dependent target takes AS_OF=YYYY-MM-DD (default: today).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
AS_OF ?= $(shell date +%F)
SCALE ?= city
INPUTS ?= inputs
OUTPUTS ?= outputs
# GNU make exits 2 whenever a recipe fails, whatever the command's own exit code (3 for
# the lock, 1 for --strict...): no Makefile can pass it through. So the CLI runs through
# pipeline.cli.make_run, which prints the code and its Chinese meaning before make's own
# "Error N" line; scripts that need the exact code call `pledge` directly (README).
CLI := $(PY) -m pipeline.cli.make_run --inputs $(INPUTS) --outputs $(OUTPUTS)

.PHONY: help venv consolidate test check templates eval-templates demo overdue bulletin notice ratings cards bench clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*##/\t/'

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m compileall -q pipeline schemas  # as a package install does: no compiling in every run
	touch $(STAMP)

venv: $(STAMP)  ## create .venv and install the project

consolidate: $(STAMP)  ## merge inputs/returns into outputs/<AS_OF>/台账.xlsx, problem list and feedback
	$(CLI) consolidate --as-of $(AS_OF)

templates: $(STAMP)  ## write one blank pledge workbook per roster unit to outputs/templates/
	$(CLI) templates

eval-templates: $(STAMP)  ## write one assessment workbook per unit to outputs/eval-templates/
	$(CLI) eval-templates

demo: $(STAMP)  ## regenerate the demo campaign in inputs/ from a fixed seed
	$(CLI) demo

overdue: $(STAMP)  ## outputs/<AS_OF>/逾期清单.xlsx
	$(CLI) overdue --as-of $(AS_OF)

bulletin: $(STAMP)  ## outputs/<AS_OF>/通报.docx and .html, 支部通报/ (numbered in outputs/documents/发文登记.csv)
	$(CLI) bulletin --as-of $(AS_OF)

notice: $(STAMP)  ## outputs/<AS_OF>/公示_承诺事项.docx, .html and .xlsx
	$(CLI) notice --as-of $(AS_OF)

ratings: $(STAMP)  ## outputs/<AS_OF>/评价结果.xlsx, 公示_考核结果.docx/.html, 表彰通报.docx
	$(CLI) ratings --as-of $(AS_OF)

cards: $(STAMP)  ## outputs/<AS_OF>/先锋岗承诺卡.html
	$(CLI) cards --as-of $(AS_OF)

.PHONY: fetch-mail
fetch-mail: $(STAMP)  ## returned workbooks from the office mailbox (read-only) into inputs/returns/邮件/; FROM=DIR reads exported .eml/.mbox/.msg
	$(CLI) fetch-mail $(if $(FROM),--from "$(FROM)")

.PHONY: demo-mail
demo-mail: $(STAMP)  ## the demo returns as e-mails: outputs/演示邮箱/演示邮箱.mbox (then: make fetch-mail FROM=outputs/演示邮箱)
	$(CLI) demo-mail

.PHONY: send-feedback
send-feedback: $(STAMP)  ## one e-mail per unit with its feedback: drafts in outputs/<AS_OF>/邮件/; SEND=1 sends over SMTP, DRY_RUN=1 only lists
	$(CLI) send-feedback --as-of $(AS_OF) $(if $(filter 1,$(SEND)),--send) $(if $(filter 1,$(DRY_RUN)),--dry-run)
.PHONY: filing
filing: $(STAMP)  ## outputs/<AS_OF>/备案/备案审核表.xlsx and 上报备案表.xlsx (审核备案, 二(二))
	$(CLI) filing --as-of $(AS_OF)

.PHONY: rectification
rectification: $(STAMP)  ## 整改通知/ and 拟组织处理名单.xlsx in outputs/<AS_OF>/ (整改 → 组织处理, 二(四))
	$(CLI) rectification --as-of $(AS_OF)

.PHONY: office-forms
office-forms: $(STAMP)  ## outputs/office-forms/: 包靠领导记实表 per leader (三(一)) and 年度工作目标表 (二(四))
	$(CLI) office-forms

.PHONY: rollup
rollup: $(STAMP)  ## level above: inputs/下级台账/*.xlsx (lower offices' 台账, FROM=DIR) -> outputs/<AS_OF>/汇总上报/ 汇总台账.xlsx, 汇总通报.docx
	$(CLI) rollup --as-of $(AS_OF) $(if $(FROM),--from "$(FROM)")

.PHONY: uses
uses: $(STAMP)  ## outputs/<AS_OF>/考评结果运用.xlsx: recommendation and reference lists with their evidence (二(四))
	$(CLI) uses --as-of $(AS_OF)

bench: $(STAMP)  ## benchmark at SCALE=school|city|county against the floor and a naive baseline
	$(PY) -m pipeline bench --scale $(SCALE) --as-of $(AS_OF)

test: $(STAMP) office  ## run the test suite (its core runs again with spawned workers beside it: tests/infra/test_spawn_pass.py)
	$(PY) -m pytest

# LibreOffice and poppler render outputs to PDF for the print checks (tests/outputs/
# test_print_pdf.py) and `make preview`; Carlito is Calibri's metric twin, so column widths
# print as in Excel. Installed from Debian when missing (CI runs as root); without them the
# PDF tests skip and say why.
OFFICE_PKGS := libreoffice-calc libreoffice-writer fonts-noto-cjk fonts-crosextra-carlito poppler-utils
.PHONY: office
office:  ## install LibreOffice, CJK fonts and poppler from Debian if missing
	@if command -v soffice >/dev/null && command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null \
	    && fc-list 2>/dev/null | grep -q Carlito && fc-list 2>/dev/null | grep -q "Noto Sans CJK"; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(OFFICE_PKGS) >/dev/null) \
	    || echo "office: could not install $(OFFICE_PKGS); the PDF print checks will be skipped"; \
	else echo "office: LibreOffice/poppler missing and not root; the PDF print checks will be skipped"; fi

.PHONY: preview
preview: $(STAMP) office  ## PDF and PNG pages of every output of AS_OF (and the templates) in outputs/<AS_OF>/预览/
	$(CLI) preview --as-of $(AS_OF)

check: $(STAMP)  ## ruff and mypy
	$(PY) -m ruff check pipeline schemas tests
	$(PY) -m ruff format --check pipeline schemas tests
	$(PY) -m mypy pipeline schemas

.PHONY: dist-check
dist-check: $(STAMP)  ## build the wheel, install it in a clean venv outside the checkout, run the demo with it
	.ci/dist-check $(PYTHON)

clean:  ## remove generated outputs (keeps outputs/archive, the register outputs/documents and outputs/bench/county.json)
	find $(OUTPUTS) -mindepth 1 -maxdepth 1 ! -name archive ! -name documents ! -name bench ! -name .gitkeep -exec rm -rf {} +
	if [ -d $(OUTPUTS)/bench ]; then find $(OUTPUTS)/bench -mindepth 1 -maxdepth 1 ! -name county.json -exec rm -rf {} +; fi

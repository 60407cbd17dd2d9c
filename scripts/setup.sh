#!/usr/bin/env bash
# Set up kezhuan on a fresh machine: the virtual environment at .venv with everything installed.
# Idempotent: a second run only checks. Options:
#   --test   also install what the tests need (the dev extra: pytest, pytest-xdist for the quick
#            tier's -n 2, ...; Chromium and CJK fonts from Debian, as root)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
"$PYTHON" -c 'import sys; assert sys.version_info[:2] == (3, 11), "kezhuan needs Python 3.11"'

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv .venv
fi
PIP=".venv/bin/python -m pip"
stamp=".venv/.kezhuan-installed"
extras=""
[ "$want_test" = 1 ] && extras="[dev]"
wanted="$(sha256sum pyproject.toml | cut -c1-16)$extras"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  $PIP install -q --upgrade pip
  # torch first, pinned: a CPU build lies on this machine's disk; an unpinned torch pulls a multi-GB CUDA build.
  $PIP install -q "torch==2.13.0"
  $PIP install -q -e ".$extras"
  echo "$wanted" > "$stamp"
  echo "setup: installed kezhuan$extras into .venv"
fi

if [ "$want_test" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Chromium and CJK fonts from Debian for the browser tests"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "setup: Chromium is missing; the browser tests will be skipped (as root: apt-get install chromium)"
  fi
fi

# A TrueType CJK font for the PDF tests (tests/pdf_maker.py writes real CJK PDFs with it).
if [ "$want_test" = 1 ] && [ ! -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ] && [ "$(id -u)" = 0 ]; then
  echo "setup: installing the WenQuanYi Zen Hei font from Debian for the PDF tests"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-zenhei >/dev/null
fi

# Sourced by scripts/demo and scripts/test: create or reuse .venv in the checkout, install dh into it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ ! -x .venv/bin/python ]; then
  py=$(command -v python3.11 || command -v python3)
  "$py" -c 'import sys; assert sys.version_info[:2] == (3, 11), f"dh needs Python 3.11, found {sys.version}"'
  "$py" -m venv .venv
fi
stamp=.venv/.dh-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "dh: installing into .venv (a few minutes the first time)" >&2
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2> >(grep -v "is ignored: it is neither" >&2)
  touch "$stamp"
fi
export HF_HUB_OFFLINE=1 PREFECT_SERVER_ANALYTICS_ENABLED=false

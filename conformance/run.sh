#!/usr/bin/env bash
# npm run conformance: msport against real MindSpore. Creates or reuses conformance/.venv (ignored), installs the
# pins, builds msport, runs the pytest suite and rewrites conformance/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=conformance/.venv
if [ ! -x "$VENV/bin/python" ]; then
  echo "conformance: creating $VENV with $($PY --version)"
  "$PY" -m venv "$VENV"
fi
# install only when the pins changed since the last install into this venv
STAMP="$VENV/.requirements.sha256"
WANT=$(sha256sum conformance/requirements.txt | cut -d' ' -f1)
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
  echo "conformance: installing conformance/requirements.txt (mindspore ~800 MB on first install)"
  if ! "$VENV/bin/pip" install --disable-pip-version-check -r conformance/requirements.txt > "$VENV/pip.log" 2>&1; then
    tail -n 30 "$VENV/pip.log" >&2
    echo "conformance: pip install failed (log: $VENV/pip.log)" >&2
    exit 2
  fi
  echo "$WANT" > "$STAMP"
fi
if [ "${CONFORMANCE_SKIP_BUILD:-}" != "1" ]; then npm run --silent build; fi
export CONFORMANCE_WRITE_RESULTS=${CONFORMANCE_WRITE_RESULTS:-1}
cd conformance
exec ../"$VENV"/bin/python -m pytest -q -p no:cacheprovider "$@"

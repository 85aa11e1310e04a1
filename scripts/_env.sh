# Shared by scripts/run and scripts/test: find Python 3.11+, make .venv, install a requirements file.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

find_python() {
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3 python; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  echo "error: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2
  return 1
}

# Creates .venv once; falls back to the interpreter itself where venv is unavailable
# (e.g. Debian without python3-venv), which works when that interpreter accepts pip installs.
setup_python() {
  local base
  base="$(find_python)"
  if [ -x "$ROOT/.venv/bin/python" ]; then
    PY="$ROOT/.venv/bin/python"
  elif "$base" -m venv "$ROOT/.venv" >/dev/null 2>&1; then
    PY="$ROOT/.venv/bin/python"
  else
    rm -rf "$ROOT/.venv"
    echo "note: could not create .venv (on Debian: apt-get install python3-venv); installing into $base" >&2
    PY="$base"
  fi
  export PY
}

install_requirements() {
  local file="$1" stamp="$ROOT/.venv/.installed-$(basename "$1")"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$file" ] && [ "$stamp" -nt "$ROOT/requirements.txt" ]; then
    return 0
  fi
  "$PY" -m pip install --disable-pip-version-check -q -r "$file"
  if [ -d "$ROOT/.venv" ] && [ "$PY" = "$ROOT/.venv/bin/python" ]; then touch "$stamp"; fi
}

# Sourced by scripts/serve, scripts/test and scripts/check: the project's own virtual environment in .venv.
# Debian 12 and Ubuntu mark the system Python "externally managed" (PEP 668), so Floor never installs into it.
# Set PYTHON to choose the interpreter (3.11 or newer; default python3).

PYTHON=${PYTHON:-python3}
VENV=.venv

floor_venv() {  # $1: the extras to install, e.g. "test" or "test,dev" ("" for Floor alone)
  local extras=${1:-}
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "$0: Floor needs Python 3.11 or newer; $PYTHON is $("$PYTHON" -V 2>&1 || echo missing)." >&2
    exit 1
  fi
  if ! "$VENV/bin/python" -m pip --version >/dev/null 2>&1; then
    if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "$0: installing python3-venv (Debian's package for virtual environments)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      else
        echo "$0: $PYTHON cannot create virtual environments; install python3-venv (sudo apt-get install" \
             "python3-venv) and run this again." >&2
        exit 1
      fi
    fi
    rm -rf "$VENV"
    echo "$0: creating the virtual environment $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  # Reinstall only when pyproject.toml or the extras changed since the last install.
  local want have=""
  want="$(sha256sum pyproject.toml | cut -d' ' -f1) [$extras]"
  [ -f "$VENV/.floor-installed" ] && have=$(cat "$VENV/.floor-installed")
  if [ "$want" != "$have" ]; then
    echo "$0: installing Floor${extras:+ with [$extras]} into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".${extras:+[$extras]}"
    echo "$want" > "$VENV/.floor-installed"
  fi
}

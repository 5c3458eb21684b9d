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
    rm -rf "$VENV"
    echo "$0: creating the virtual environment $VENV"
    if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1 || ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
      rm -rf "$VENV"
      if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "$0: installing python3-venv (Debian's package for virtual environments)"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        "$PYTHON" -m venv "$VENV"
      else
        echo "$0: $PYTHON cannot create virtual environments; install python3-venv (sudo apt-get install" \
             "python3-venv) and run this again." >&2
        exit 1
      fi
    fi
  fi
  # Install only when pyproject.toml changed or an extra is missing (a venv with [test] also serves).
  local hash have_hash="" have_extras="" missing="" extra all
  hash=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ -f "$VENV/.floor-installed" ]; then
    read -r have_hash have_extras < "$VENV/.floor-installed" || true
  fi
  [ "$hash" = "$have_hash" ] || have_extras=""
  for extra in ${extras//,/ }; do
    case ",$have_extras," in *",$extra,"*) ;; *) missing=yes ;; esac
  done
  if [ "$hash" != "$have_hash" ] || [ -n "$missing" ] || [ ! -f "$VENV/.floor-installed" ]; then
    all=$(printf '%s\n' ${have_extras//,/ } ${extras//,/ } | sort -u | paste -sd, -)
    echo "$0: installing Floor${all:+ with [$all]} into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".${all:+[$all]}"
    echo "$hash $all" > "$VENV/.floor-installed"
  fi
}

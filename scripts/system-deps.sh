# Sourced by scripts/test and scripts/soak. floor_system_deps: the system packages the suite needs (Chromium for the browser tests,
# redis-server, nginx) come from Debian's repositories when run as root. Without root or apt, the tests that need
# them skip with a reason (and fail when CI=true, so CI never passes on a machine that lacks them).
floor_system_deps() {
  local need=()
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
  if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "$1: installing ${need[*]}"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
      echo "$1: missing ${need[*]}; the tests that need them will be skipped (install them to run all)" >&2
    fi
  fi
}

# axe-core for the accessibility audits, from package.json (npm, when the machine has it).
floor_node_deps() {
  if [ -f package.json ] && command -v npm >/dev/null 2>&1; then
    npm install --no-audit --no-fund --silent
  fi
}

# Sourced by bin/run and bin/test: prepares .venv with the pinned requirements.
# Re-installs only when a requirements file changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${FUWUSHE_VENV:-$ROOT/.venv}"

fuwushe_python() {
  local candidate
  for candidate in python3.11 python3.12 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] < (3, 13))'; then
      echo "$candidate"
      return 0
    fi
  done
  echo "[fuwushe] 需要 Python 3.11 或 3.12，但没有找到。" >&2
  return 1
}

fuwushe_venv() {
  local requirements="$1" stamp sum
  if [ ! -x "$VENV/bin/python" ]; then
    echo "[fuwushe] 创建虚拟环境 $VENV"
    "$(fuwushe_python)" -m venv "$VENV"
  fi
  stamp="$VENV/.installed-$(basename "$requirements")"
  sum="$(cat "$ROOT"/requirements*.txt | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null || true)" != "$sum" ]; then
    echo "[fuwushe] 安装依赖（$requirements）"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --quiet -r "$ROOT/$requirements"
    echo "$sum" >"$stamp"
  fi
}

# Debian packages some tests need (docker-compose validates docker-compose.yml).
fuwushe_debian_packages() {
  local missing=() package
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "[fuwushe] 缺少系统软件包：${missing[*]}（请用 apt-get 安装）" >&2
    return 1
  fi
  echo "[fuwushe] 安装系统软件包：${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

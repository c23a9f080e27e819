# shellcheck shell=bash
# Functions shared by the cocca-bake steps on the instance. Sourced by cocca-run; each step
# runs in its own bash with `set -euo pipefail`, so any failed command fails the step.

export COCCA_LIB=/usr/local/lib/cocca
export COCCA_STATE=/var/lib/cocca
export COCCA_ETC=/etc/cocca
export COCCA_CACHE=/var/cache/cocca

log() {
  printf 'cocca[%s]: %s\n' "${COCCA_STEP:-cocca}" "$*" >&2
}

die() {
  log "ERROR: $*"
  exit 1
}

# apt-get that waits for a held lock (cloud-init or unattended-upgrades may hold it at boot).
apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold -y "$@"
}

apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "apt install ${missing[*]}"
  apt_get install --no-install-recommends "${missing[@]}"
}

# fetch URL SHA256 DEST: download over verified TLS (https) or from a local mirror (file://),
# check the SHA-256, and only then move it into place. An existing DEST with the right
# checksum is kept, so a re-run downloads nothing.
fetch() {
  local url=$1 sum=$2 dest=$3 tmp got
  if [ -f "$dest" ] && [ "$sum" != unpinned ] && echo "$sum  $dest" | sha256sum --check --status; then
    log "have $dest (sha256 ok)"
    return 0
  fi
  mkdir -p "$(dirname "$dest")"
  tmp=$(mktemp "$dest.part.XXXXXX")
  log "download $url"
  if ! curl --fail --silent --show-error --location --proto '=https,file' --proto-redir '=https' \
    --tlsv1.2 --retry 5 --retry-delay 10 --retry-all-errors --output "$tmp" "$url"; then
    rm -f "$tmp"
    die "download failed: $url"
  fi
  got=$(sha256sum "$tmp" | cut -d' ' -f1)
  if [ "$sum" = unpinned ]; then
    # No publisher checksum exists: record what was received so the image can be audited.
    log "WARNING: $url is not pinned; received sha256 $got"
    mkdir -p "$COCCA_STATE"
    printf '%s  %s\n' "$got" "$url" >>"$COCCA_STATE/unpinned-downloads.txt"
  elif [ "$got" != "$sum" ]; then
    rm -f "$tmp"
    die "sha256 mismatch for $url: expected $sum, got $got"
  fi
  mv -f "$tmp" "$dest"
}

# kv_get FILE KEY: the value of KEY in a NAME=value file (value verbatim, never evaluated).
kv_get() {
  local file=$1 key=$2 line
  [ -r "$file" ] || return 1
  while IFS= read -r line || [ -n "$line" ]; do
    case $line in
      "$key="*) printf '%s' "${line#*=}"; return 0 ;;
    esac
  done <"$file"
  return 1
}

# kv_set FILE KEY VALUE: replace or add KEY, atomically, keeping the file root-only.
kv_set() {
  local file=$1 key=$2 value=$3 tmp line
  case $value in *$'\n'*) die "value for $key contains a newline" ;; esac
  mkdir -p "$(dirname "$file")"
  tmp=$(mktemp "$file.XXXXXX")
  chmod 600 "$tmp"
  if [ -f "$file" ]; then
    while IFS= read -r line || [ -n "$line" ]; do
      case $line in "$key="*) ;; *) printf '%s\n' "$line" ;; esac
    done <"$file" >"$tmp"
  fi
  printf '%s=%s\n' "$key" "$value" >>"$tmp"
  mv -f "$tmp" "$file"
}

# The per-instance values first boot settled on (detected or handed in), and the secrets.
value() { kv_get "$COCCA_ETC/values.env" "$1"; }
secret() { kv_get "$COCCA_ETC/secrets.env" "$1"; }

# A random password of letters and digits: safe in XML, JDBC URLs and shell alike.
random_password() {
  local pw=''
  while [ "${#pw}" -lt 32 ]; do
    pw+=$(head -c 64 /dev/urandom | tr -dc 'A-Za-z0-9')
  done
  printf '%s' "${pw:0:32}"
}

# wait_port PORT SECONDS: until something listens on TCP PORT (any address family).
wait_port() {
  local port=$1 deadline=$((SECONDS + $2))
  until ss -Hltn "sport = :$port" | grep -q .; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 1
  done
}

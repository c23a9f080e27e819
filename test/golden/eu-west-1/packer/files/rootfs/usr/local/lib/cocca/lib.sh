# shellcheck shell=bash
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
    log "WARNING: $url is not pinned; received sha256 $got"
    mkdir -p "$COCCA_STATE"
    printf '%s  %s\n' "$got" "$url" >>"$COCCA_STATE/unpinned-downloads.txt"
  elif [ "$got" != "$sum" ]; then
    rm -f "$tmp"
    die "sha256 mismatch for $url: expected $sum, got $got"
  fi
  mv -f "$tmp" "$dest"
}
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
value() { kv_get "$COCCA_ETC/values.env" "$1"; }
secret() { kv_get "$COCCA_ETC/secrets.env" "$1"; }
random_password() {
  local pw=''
  while [ "${#pw}" -lt 32 ]; do
    pw+=$(head -c 64 /dev/urandom | tr -dc 'A-Za-z0-9')
  done
  printf '%s' "${pw:0:32}"
}
wait_port() {
  local port=$1 deadline=$((SECONDS + $2))
  until ss -Hltn "sport = :$port" | grep -q .; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 1
  done
}

// The instance's own identity, settled by first boot: its name (instance.env, the profile, or
// detection) and its own ssl-cert "snakeoil" pair (PostgreSQL's ssl = on serves it), which the
// seal removed from the image so no two instances share a private key.
import { readValue } from '../../instance/contract.js';
import { lines, type Component } from '../model.js';
import { checkHostName } from './rules.js';

export const SNAKEOIL_KEY = '/etc/ssl/private/ssl-cert-snakeoil.key';
export const SNAKEOIL_CERT = '/etc/ssl/certs/ssl-cert-snakeoil.pem';

export const host: Component = {
  name: 'host',
  rules: [checkHostName],
  steps: () => [
    {
      component: 'host',
      name: 'name',
      phase: 'boot',
      title: 'Set the host name',
      script: lines(
        `fqdn=${readValue('FQDN')}`,
        'short=${fqdn%%.*}',
        'if [ "$(hostname)" != "$short" ]; then',
        '  echo "$short" >/etc/hostname',
        '  hostname "$short"',
        'fi',
        // cloud-init's own /etc/hosts management is off (preserve_hostname); keep the name resolvable.
        "sed -i '/^127\\.0\\.1\\.1[[:space:]]/d' /etc/hosts",
        'printf "127.0.1.1 %s %s\\n" "$fqdn" "$short" >>/etc/hosts',
      ),
    },
    {
      component: 'host',
      name: 'snakeoil',
      phase: 'boot',
      title: "Make this instance's own snakeoil key and certificate",
      script: lines(
        // Before PostgreSQL first starts: its ssl = on reads them. Where ssl-cert's make-ssl-cert
        // would put them, with its owner and modes; an EC key, made in milliseconds (make-ssl-cert
        // takes most of a second through debconf).
        'if ! getent group ssl-cert >/dev/null; then log "ssl-cert is not installed: no snakeoil pair to make"; exit 0; fi',
        `fqdn=${readValue('FQDN')}`,
        'umask 077',
        `openssl req -new -x509 -nodes -days 3650 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -subj "/CN=$fqdn" -addext "subjectAltName=DNS:$fqdn" -keyout ${SNAKEOIL_KEY}.new -out ${SNAKEOIL_CERT}.new 2>/dev/null`,
        `chown root:ssl-cert ${SNAKEOIL_KEY}.new`,
        `chmod 640 ${SNAKEOIL_KEY}.new`,
        `chmod 644 ${SNAKEOIL_CERT}.new`,
        `mv -f ${SNAKEOIL_KEY}.new ${SNAKEOIL_KEY}`,
        `mv -f ${SNAKEOIL_CERT}.new ${SNAKEOIL_CERT}`,
      ),
    },
  ],
};

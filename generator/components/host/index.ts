// The instance's own identity, settled by first boot: its name (instance.env, the profile, or
// detection) and its own ssl-cert "snakeoil" pair (PostgreSQL's ssl = on serves it), which the
// seal removed from the image so no two instances share a private key. The scripts beside this
// file do the work.
import { COCCA_LIB, componentFile, type Component } from '../model.js';
import { checkHostName } from './rules.js';

export const SNAKEOIL_KEY = '/etc/ssl/private/ssl-cert-snakeoil.key';
export const SNAKEOIL_CERT = '/etc/ssl/certs/ssl-cert-snakeoil.pem';

const HOSTNAME = `${COCCA_LIB}/cocca-hostname`;
const SNAKEOIL = `${COCCA_LIB}/cocca-snakeoil`;

export const host: Component = {
  name: 'host',
  rules: [checkHostName],
  files: () => [
    { path: HOSTNAME, mode: '0755', content: componentFile('host', 'cocca-hostname') },
    { path: SNAKEOIL, mode: '0755', content: componentFile('host', 'cocca-snakeoil') },
  ],
  steps: () => [
    { component: 'host', name: 'name', phase: 'boot', title: 'Set the host name', script: HOSTNAME },
    { component: 'host', name: 'snakeoil', phase: 'boot', title: "Make this instance's own snakeoil key and certificate", script: `${SNAKEOIL} ${SNAKEOIL_KEY} ${SNAKEOIL_CERT}` },
  ],
};

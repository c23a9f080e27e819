// The keystore steps, run for real (keytool, openssl) in the sandbox: CoCCA's lab keystore
// re-keyed under the instance's password, and the Let's Encrypt deploy hook turning a
// certificate (self-signed here) into Resin's JKS through PKCS12.
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderInstanceTree, runSandboxed } from './sandbox.js';
import { hasTool, isRoot } from './tools.js';

const canRun = isRoot() && (await hasTool('keytool')) && (await hasTool('openssl')) && (await hasTool('unshare'));
let work: string;

/** A stand-in for CoCCA's lab keystore (a JKS with one key), made with the real keytool. */
async function labKeystore(name: string, args: string[]): Promise<{ url: string; sha256: string }> {
  const file = path.join(work, name);
  await execa('keytool', ['-keystore', file, '-storetype', 'JKS', '-storepass', 'labpass1', ...args]);
  const sha256 = createHash('sha256').update(await fs.readFile(file)).digest('hex');
  return { url: `file://${file}`, sha256 };
}
let lab: { url: string; sha256: string };

/** A profile with a build target, so the render holds the instance tree; its lab keystore is `keystore`. */
const render = (tls: string, { keystore = lab, fqdn = 'srs.nic.example' } = {}) =>
  renderInstanceTree(
    work,
    `apiVersion: cocca-bake/v1\nname: tlstest\nhost: {fqdn: ${fqdn}}\nfirewall: {trusted: [192.0.2.0/24]}\nsecrets: {source: user-data}\ntls: ${tls}\n` +
      `artifacts: {keystore: {url: "${keystore.url}", sha256: "${keystore.sha256}"}}\n` +
      `targets: {qemu: {baseImage: {url: "file:///dev/null", sha256: "${'0'.repeat(64)}"}}}\n`,
  );

/** The bake step that installs the lab keystore (from its file:// URL) and notes its key's alias. */
const bakeLab = 'bash -euo pipefail /usr/local/lib/cocca/steps/bake/*-app.keystore.sh 2>/dev/null';

const setup = `
getent group resin >/dev/null || groupadd --system resin
install -d -m 0700 /etc/cocca
printf 'KEYSTORE_PASSWORD=%s\\n' instancepw0123456789 >/etc/cocca/secrets.env
install -d /opt/resin/conf/keys
`;

describe.skipIf(!canRun)('keystore steps with the real keytool and openssl (sandboxed)', () => {
  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-tls-steps-'));
    await execa('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=ca', '-days', '30', '-keyout', path.join(work, 'ca.key'), '-out', path.join(work, 'ca.pem')]);
    lab = await labKeystore('lab.jks', ['-genkeypair', '-keypass', 'labpass1', '-alias', 'star_coccaregistry_org', '-keyalg', 'RSA', '-keysize', '2048', '-dname', 'CN=lab.coccaregistry.org', '-validity', '30']);
  });
  afterAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  it('re-keys the lab keystore under the password generated on the instance', async () => {
    const rootfs = await render('{mode: lab}');
    const r = await runSandboxed(
      rootfs,
      `${setup}
${bakeLab}
# Settled by first boot from the user-data (or the secrets store) into secrets.env.
printf 'SOURCE_KEYSTORE_PASSWORD=labpass1\\n' >>/etc/cocca/secrets.env
bash -euo pipefail /usr/local/lib/cocca/steps/boot/*-tls.keystore.sh
keytool -list -keystore /opt/resin/conf/keys/instance.jks -storepass instancepw0123456789 2>/dev/null
stat -c 'MODE %a %U:%G' /opt/resin/conf/keys/instance.jks
# Resin needs key password == store password: the key opens with the store password.
keytool -importkeystore -srckeystore /opt/resin/conf/keys/instance.jks -srcstorepass instancepw0123456789 \\
  -srckeypass instancepw0123456789 -srcalias star_coccaregistry_org -destkeystore /tmp/check.p12 -deststoretype PKCS12 \\
  -deststorepass checkpw1 -noprompt >/dev/null 2>&1 && echo KEYPASS_OK
`,
    );
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toMatch(/Keystore type: (JKS|jks)/);
    expect(r.output).toMatch(/star_coccaregistry_org, .*PrivateKeyEntry/);
    expect(r.output).toContain('MODE 640 root:resin');
    expect(r.output).toContain('KEYPASS_OK');
  });

  it('fails loudly when the lab keystore password was not settled', async () => {
    const rootfs = await render('{mode: lab}');
    const r = await runSandboxed(
      rootfs,
      `${setup}
${bakeLab}
bash -euo pipefail /usr/local/lib/cocca/steps/boot/*-tls.keystore.sh
`,
    );
    expect(r.ok).toBe(false);
    expect(r.output).toContain('ERROR: the password of /opt/resin/conf/keys/cocca-lab.jks is not set (SOURCE_KEYSTORE_PASSWORD)');
  });

  it("says why keytool cannot open the keystore (a wrong password), and writes no instance keystore", async () => {
    const rootfs = await render('{mode: lab}');
    const r = await runSandboxed(
      rootfs,
      `${setup}
${bakeLab}
printf 'SOURCE_KEYSTORE_PASSWORD=not-the-password\\n' >>/etc/cocca/secrets.env
if bash -euo pipefail /usr/local/lib/cocca/steps/boot/*-tls.keystore.sh; then echo ACCEPTED; fi
[ -e /opt/resin/conf/keys/instance.jks ] && echo INSTANCE_JKS_WRITTEN || true
`,
    );
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toContain('ERROR: cannot open /opt/resin/conf/keys/cocca-lab.jks with the password given for it (java.io.IOException: Keystore was tampered with, or password was incorrect)');
    expect(r.output).not.toContain('ACCEPTED');
    expect(r.output).not.toContain('INSTANCE_JKS_WRITTEN');
    expect(r.output).not.toContain('not-the-password');
  });

  it('refuses at bake a lab keystore that holds no private key', async () => {
    const certOnly = await labKeystore('cert-only.jks', ['-importcert', '-noprompt', '-alias', 'ca', '-file', path.join(work, 'ca.pem')]);
    const rootfs = await render('{mode: lab}', { keystore: certOnly });
    const r = await runSandboxed(rootfs, `${setup}\nbash -euo pipefail /usr/local/lib/cocca/steps/bake/*-app.keystore.sh`);
    expect(r.ok).toBe(false);
    expect(r.output).toContain("ERROR: /opt/resin/conf/keys/cocca-lab.jks holds no private key entry (CoCCA's lab keystore is a JKS with one)");
  });

  it("turns a certificate into Resin's JKS through PKCS12 (the Let's Encrypt deploy hook)", async () => {
    // Let's Encrypt certifies public names only: validate refuses .example there.
    const rootfs = await render('{mode: letsencrypt, email: hostmaster@coccaregistry.org}', { fqdn: 'srs.coccaregistry.org' });
    const r = await runSandboxed(
      rootfs,
      `${setup}
live=/etc/letsencrypt/live/srs.nic.example
mkdir -p "$live"
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=srs.nic.example -days 30 -keyout "$live/privkey.pem" -out "$live/fullchain.pem" 2>/dev/null
RENEWED_LINEAGE=$live /etc/letsencrypt/renewal-hooks/deploy/cocca-keystore
keytool -list -v -keystore /opt/resin/conf/keys/instance.jks -storepass instancepw0123456789 2>/dev/null | grep -E 'Keystore type|Entry type|Owner'
ls /run/cocca-le.* 2>/dev/null && echo LEFTOVER || echo NO_LEFTOVER
`,
    );
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toMatch(/Keystore type: (JKS|jks)/);
    expect(r.output).toContain('Entry type: PrivateKeyEntry');
    expect(r.output).toContain('Owner: CN=srs.nic.example');
    expect(r.output).toContain('NO_LEFTOVER');
  });
});

// The first-boot program itself (cocca-firstboot), run for real in the sandbox (its own network,
// so the real ufw and sshd of the hardening touch nothing of this machine): what it is handed is
// checked before anything changes, and a failure anywhere still leaves the server hardened and
// says why, in firstboot.json and at login.
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderInstanceTree, runSandboxed } from './sandbox.js';
import { hasTool, isRoot } from './tools.js';

const canRun = isRoot() && (await hasTool('ufw')) && (await hasTool('sshd')) && (await hasTool('jq')) && (await hasTool('unshare'));
let work: string;
let rootfs: string;

/** A booted image before its first boot: the bake's ufw rules written, sshd running on 22. */
const image = `ssh-keygen -A >/dev/null
/usr/sbin/sshd
bash -euo pipefail /usr/local/lib/cocca/steps/bake/*-firewall.rules.sh >/dev/null
install -d -m 0700 /etc/cocca`;

const SECRET = 'Lab-Keystore-Pass-7q';

describe.skipIf(!canRun)('cocca-firstboot (sandboxed)', () => {
  beforeAll(async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-firstboot-'));
    rootfs = await renderInstanceTree(
      work,
      `apiVersion: cocca-bake/v1
name: fbtest
host: {fqdn: registry.nic.example}
firewall: {trusted: [198.51.100.0/24]}
ssh: {port: 2222}
secrets: {source: user-data}
targets: {qemu: {baseImage: {url: "file:///dev/null", sha256: "${'0'.repeat(64)}"}}}
`,
    );
  });
  afterAll(async () => {
    await fs.rm(work, { recursive: true, force: true });
  });

  let n = 0;
  const firstboot = async (instanceEnv: string) => {
    // Handed in through /tmp, which the sandbox shares: the bytes exactly, CRs included.
    const file = path.join(work, `instance-${n++}.env`);
    await fs.writeFile(file, instanceEnv);
    return runSandboxed(
      rootfs,
      `${image}
install -m 0600 ${file} /etc/cocca/instance.env
if /usr/local/sbin/cocca-firstboot run >/tmp/fb.out 2>&1; then echo FIRSTBOOT_OK; else echo "FIRSTBOOT_EXIT $?"; fi
echo "== status"; cat /var/lib/cocca/firstboot.json
echo "== ufw"; ufw status | head -1
echo "== sshd"; . /usr/local/lib/cocca/lib.sh; sshd_ports | paste -sd,
echo "== motd"; run-parts --lsbsysinit /etc/update-motd.d
echo "== values"; cat -A /etc/cocca/values.env
echo "== keystore"; if [ -e /etc/cocca/keystore.jks ]; then stat -c %a /etc/cocca/keystore.jks; cat /etc/cocca/keystore.jks; echo; fi
echo "== log"; cat /tmp/fb.out
`,
      180_000,
    );
  };

  const section = (out: string, name: string) => out.split(`== ${name}\n`)[1]!.split('\n== ')[0]!;

  it.each([
    ['a name given twice', `COCCA_FQDN=a.nic.example\nCOCCA_FQDN=b.nic.example\n`, '/etc/cocca/instance.env:2: COCCA_FQDN is given twice'],
    ['a name first boot does not take (a generated-only secret)', `COCCA_KEYSTORE_PASSWORD=${SECRET}\n`, '/etc/cocca/instance.env:1: COCCA_KEYSTORE_PASSWORD is not a value first boot takes (it takes: COCCA_FQDN, COCCA_PRIVATE_IPV4, COCCA_PRIVATE_IPV6, COCCA_PUBLIC_IPV4, COCCA_POSTGRES_PASSWORD, COCCA_SOURCE_KEYSTORE_PASSWORD, COCCA_KEYSTORE_JKS)'],
    ['EL in a password, which Resin would evaluate in resin.xml', `COCCA_POSTGRES_PASSWORD=\${jndi:ldap://x}-${SECRET}\n`, '/etc/cocca/instance.env:1: COCCA_POSTGRES_PASSWORD contains ${ or #{, which Resin evaluates in resin.xml'],
    ['an address that is not one', 'COCCA_PRIVATE_IPV4=10.0.0.300\n', '/etc/cocca/instance.env:1: COCCA_PRIVATE_IPV4 is not an IPv4 address'],
    ['a host name that is not one', 'COCCA_FQDN=registry\n', '/etc/cocca/instance.env:1: COCCA_FQDN is not fully qualified: it needs a domain, e.g. registry.nic.example'],
    ['a line that is no assignment', 'export COCCA_FQDN=a.nic.example\n', '/etc/cocca/instance.env:1: expected COCCA_NAME=value'],
  ])('refuses %s before changing anything, yet leaves the server hardened and says why', async (_what, env, reason) => {
    const r = await firstboot(env);
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toContain('FIRSTBOOT_EXIT 1');
    const st = JSON.parse(section(r.output, 'status')) as { result: string; stage: string; reason: string; harden: { result: string } };
    expect(st).toMatchObject({ result: 'failed', stage: 'values', reason, harden: { result: 'ok' } });
    expect(section(r.output, 'ufw')).toBe('Status: active');
    // The hardening ran (fail closed): sshd moved to the profile's port.
    expect(section(r.output, 'sshd')).toBe('2222');
    expect(section(r.output, 'motd')).toContain(`*** cocca-bake: FIRST BOOT FAILED at values: ${reason}`);
    expect(r.output).not.toContain(SECRET);
  });

  it('reads CRLF line ends as LF (no stray \\r in a value), and fails naming the secret nobody gave', async () => {
    const r = await firstboot('COCCA_FQDN=srs.nic.example\r\nCOCCA_PRIVATE_IPV4=10.0.0.5\r\n');
    expect(r.ok, r.output).toBe(true);
    const st = JSON.parse(section(r.output, 'status')) as { stage: string; reason: string };
    expect(st.stage).toBe('secrets');
    expect(st.reason).toBe(
      "missing SOURCE_KEYSTORE_PASSWORD (the password of the keystore Resin's key comes from); hand them in: cocca-bake user-data --mode firstboot --secrets FILE (lines COCCA_NAME=value), then run: sudo cocca-firstboot finish",
    );
    // cat -A: a carriage return would show as ^M before the line's end ($).
    expect(section(r.output, 'values').split('\n')).toContain('FQDN=srs.nic.example$');
    expect(section(r.output, 'values').split('\n')).toContain('PRIVATE_IPV4=10.0.0.5$');
    expect(section(r.output, 'values')).not.toContain('^M');
  });

  it('settles by the table: the name handed in, the address detected or its fallback, the keystore as its own file', async () => {
    // The sandbox has only lo: no global IPv4, so the table's fallback with its warning.
    const r = await firstboot(`COCCA_FQDN=srs.nic.example\nCOCCA_KEYSTORE_JKS=${Buffer.from('JKS!').toString('base64')}\n`);
    expect(r.ok, r.output).toBe(true);
    const st = JSON.parse(section(r.output, 'status')) as { stage: string; reason: string };
    expect(st.stage).toBe('secrets');
    expect(st.reason).toMatch(/^missing SOURCE_KEYSTORE_PASSWORD \(/);
    const values = section(r.output, 'values').split('\n');
    expect(values).toEqual(expect.arrayContaining(['FQDN=srs.nic.example$', 'PRIVATE_IPV4=127.0.0.1$']));
    expect(values.filter((l) => l.startsWith('PRIVATE_IPV6='))).toEqual(['PRIVATE_IPV6=$']);
    expect(section(r.output, 'log')).toContain("WARNING: no global IPv4 address found; Resin's server binds 127.0.0.1");
    expect(section(r.output, 'keystore')).toBe('600\nJKS!');
  });

  it('finish refuses a bad file with a clear reason and changes nothing', async () => {
    const r = await runSandboxed(
      rootfs,
      `${image}
printf 'COCCA_FQDN=a.nic.example\\n' >/etc/cocca/instance.env
cp /etc/cocca/instance.env /tmp/before
printf 'COCCA_SOURCE_KEYSTORE_PASSWORD=${SECRET}\\nCOCCA_SOURCE_KEYSTORE_PASSWORD=again-${SECRET}\\n' >/root/fix.env
if /usr/local/sbin/cocca-firstboot finish /root/fix.env; then echo FINISH_OK; else echo "FINISH_EXIT $?"; fi
cmp /tmp/before /etc/cocca/instance.env && echo UNCHANGED
[ -e /var/lib/cocca/firstboot.json ] || echo NO_STATUS
`,
    );
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toContain('cocca-firstboot: /root/fix.env:2: COCCA_SOURCE_KEYSTORE_PASSWORD is given twice');
    expect(r.output).toContain('FINISH_EXIT 1');
    expect(r.output).toContain('UNCHANGED');
    expect(r.output).toContain('NO_STATUS');
    expect(r.output).not.toContain(SECRET);
  });
});

describe.skipIf(!canRun)('cocca-firstboot with secrets from Parameter Store (sandboxed, against the AWS fake)', () => {
  let storeRootfs: string;
  let storeWork: string;
  beforeAll(async () => {
    storeWork = await fs.mkdtemp(path.join(os.tmpdir(), 'cocca-firstboot-store-'));
    storeRootfs = await renderInstanceTree(
      storeWork,
      `apiVersion: cocca-bake/v1
name: fbstore
host: {fqdn: registry.nic.example}
firewall: {trusted: [198.51.100.0/24]}
secrets: {source: aws-ssm, parameterPath: /cocca/fbstore/}
targets: {aws: {region: af-south-1}}
`,
    );
  });
  afterAll(async () => {
    await fs.rm(storeWork, { recursive: true, force: true });
  });

  /** First boot, with the fake IMDS and SSM on the sandbox's own loopback (the same code path as on EC2 but for the addresses). */
  const withStore = (options: object) =>
    runSandboxed(
      storeRootfs,
      `${image}
ip link set lo up
node --import tsx ${path.resolve('test/helpers/aws-fake-server.ts')} '${JSON.stringify(options)}' >/tmp/fake.json 2>/tmp/fake.err &
for _ in $(seq 100); do [ -s /tmp/fake.json ] && break; sleep 0.1; done
export COCCA_IMDS_ENDPOINT=$(jq -r .imdsUrl /tmp/fake.json) COCCA_AWS_ENDPOINT_URL=$(jq -r .apiUrl /tmp/fake.json) COCCA_AWS_CA_BUNDLE=$(jq -r .caFile /tmp/fake.json)
/usr/local/sbin/cocca-firstboot run >/tmp/fb.out 2>&1 || true
echo "== status"; jq -c '{result, stage, reason, harden: .harden.result}' /var/lib/cocca/firstboot.json
echo "== secrets"; sed 's/=.*//' /etc/cocca/secrets.env | sort | paste -sd' '
grep -qx 'SOURCE_KEYSTORE_PASSWORD=${SECRET}' /etc/cocca/secrets.env && echo STORE_VALUE_SETTLED || true
echo "== ufw"; ufw status | head -1
`,
      180_000,
    );

  it('reads the source keystore password from SSM with the instance role (signed, over IMDSv2) and settles it', async () => {
    const r = await withStore({ region: 'af-south-1', parameters: { '/cocca/fbstore/SOURCE_KEYSTORE_PASSWORD': SECRET } });
    expect(r.ok, r.output).toBe(true);
    // Past the secrets: the run goes on into the boot steps (this sandbox has no cluster to start).
    const st = JSON.parse(r.output.split('== status\n')[1]!.split('\n')[0]!) as { stage: string; harden: string };
    expect(st).toMatchObject({ stage: 'boot', harden: 'ok' });
    expect(r.output).toContain('STORE_VALUE_SETTLED');
    expect(r.output).toMatch(/^KEYSTORE_PASSWORD POSTGRES_PASSWORD SOURCE_KEYSTORE_PASSWORD$/m);
    expect(r.output).not.toContain(SECRET);
  });

  it('fails at the secrets, firewalled, saying what AWS refused', async () => {
    const r = await withStore({ region: 'af-south-1', parameters: { '/cocca/fbstore/SOURCE_KEYSTORE_PASSWORD': SECRET }, allow: ['arn:aws:ssm:af-south-1:*:parameter/cocca/other/*'] });
    expect(r.ok, r.output).toBe(true);
    const st = JSON.parse(r.output.split('== status\n')[1]!.split('\n')[0]!) as { result: string; stage: string; reason: string; harden: string };
    expect(st).toMatchObject({ result: 'failed', stage: 'secrets', harden: 'ok' });
    expect(st.reason).toMatch(/^secrets from aws-ssm: .*AccessDeniedException.*ssm:GetParameters/);
    expect(r.output).toContain('== ufw\nStatus: active');
    expect(r.output).not.toContain('STORE_VALUE_SETTLED');
  });
});

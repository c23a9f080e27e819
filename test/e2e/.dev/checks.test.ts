import { it } from 'vitest';
import { readFileSync } from 'node:fs';
import { execa } from 'execa';
import * as k from '../lib/checks.js';
const L = readFileSync('/tmp/e2edev/dev.pids', 'utf8').trim().split(' ')[1];
const c: any = {
  name: 'dev',
  async exec(script: string) {
    const r = await execa('nsenter', ['-t', L!, '-m', '-u', '-i', '-n', '-p', '-C', '-r', '-w', 'env', '-i', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'LANG=C.UTF-8', 'HOME=/root', 'bash', '-c', script], { reject: false, all: true });
    return { stdout: r.stdout, stderr: r.stderr, all: r.all, exitCode: r.exitCode };
  },
  async sh(script: string) { const r = await this.exec(script); if (r.exitCode !== 0) throw new Error(`${script}: ${r.all}`); return r.stdout; },
};
const profile: any = { role: 'registry', expect: { sshPort: 22, trusted: ['192.0.2.0/24', '2001:db8::/32'], publicPorts: [80, 443, 43, 700], trustedPorts: [53], database: 'registry', authMethod: 'md5', loginUser: 'debian' } };
const x = { profile, fqdn: 'registry.e2e.test', keystoreCn: '*.coccaregistry.org', page: k.pageFor('registry.e2e.test', 'registry') };
it('services', () => k.checkServicesActive(c, ['postgresql.service', 'postgresql@15-main.service', 'resin.service', 'fail2ban.service']));
it('listening', () => k.checkResinListening(c));
it('https', () => k.checkHttps(c, x));
it('resin.xml', () => k.checkResinXml(c, x));
it('postgres', () => k.checkPostgres(c, x));
it('firewall', () => k.checkFirewall(c, profile));
it('sshd', () => k.checkSshd(c, profile));
it('fail2ban', () => k.checkFail2ban(c, profile));
it('time', () => k.checkTime(c));
it('openssl', () => k.checkOpenssl(c));
it('secrets', () => k.checkSecretsRootOnly(c));

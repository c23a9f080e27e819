/**
 * A client beside a container instance, to see it as the network does: a network namespace of
 * the test's own (held by a `sleep` under `unshare --net`) that takes the container's veth peer
 * (eth0-peer), with one address in the profiles' trusted networks and one outside them. Its
 * traffic enters the instance through eth0, so through the instance's ufw, like an operator's
 * ssh or a registrar's HTTPS would. The instance routes back through networkd: withClientRoutes()
 * writes that into the root file system before it boots.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { Container } from './nspawn.js';
import { PRIVATE_IPV4, PRIVATE_IPV6 } from './rootfs.js';
import { run, type RunResult } from './run.js';

/** In the profiles' trusted networks (test/e2e/lib/profile.ts TRUSTED). */
export const TRUSTED_V4 = '192.0.2.10';
export const TRUSTED_V6 = '2001:db8::10';
/** Outside them: a registrar on the Internet. */
export const OUTSIDE_V4 = '198.51.100.20';

/** A networkd drop-in for the instance's eth0: the client's networks are on the link. */
export async function withClientRoutes(rootfs: string): Promise<void> {
  const dir = path.join(rootfs, 'etc/systemd/network/10-e2e-nic.network.d');
  await fs.mkdir(dir, { recursive: true });
  const routes = ['192.0.2.0/24', '198.51.100.0/24', '2001:db8::/64'].map((d) => `[Route]\nDestination=${d}\nScope=link\n`).join('\n');
  await fs.writeFile(path.join(dir, 'e2e-client.conf'), `# Written by test/e2e/lib/client.ts\n${routes}`);
}

const live = new Set<Client>();

export class Client {
  private constructor(private readonly holder: ChildProcess, readonly pid: number) {}

  /** Moves the container's eth0-peer into a new namespace and configures both addresses. */
  static async attach(c: Container): Promise<Client> {
    const holder = spawn('unshare', ['--net', 'sleep', 'infinity'], { stdio: 'ignore' });
    const pid = holder.pid;
    if (!pid) throw new Error('could not start the client namespace');
    const client = new Client(holder, pid);
    live.add(client);
    // unshare(2) happens before sleep runs: wait until the holder's namespace is not ours.
    const own = await fs.readlink('/proc/self/ns/net');
    for (let i = 0; i < 50 && (await fs.readlink(`/proc/${pid}/ns/net`).catch(() => own)) === own; i++) await new Promise((r) => setTimeout(r, 100));
    await run('nsenter', ['-t', String(c.leader), '-n', 'ip', 'link', 'set', 'eth0-peer', 'netns', String(pid)]);
    await client.sh(
      [
        'ip link set lo up',
        'ip link set eth0-peer up',
        `ip addr add ${TRUSTED_V4}/24 dev eth0-peer`,
        `ip addr add ${OUTSIDE_V4}/24 dev eth0-peer`,
        `ip -6 addr add ${TRUSTED_V6}/64 dev eth0-peer nodad`,
        'ip route add 10.88.0.0/24 dev eth0-peer',
        'ip -6 route add fd88::/64 dev eth0-peer',
      ].join(' && '),
    );
    // Until the instance answers on the link in both families: its eth0 lost its carrier while
    // the peer moved, and its IPv6 address goes through duplicate address detection again.
    for (const [from, to] of [[TRUSTED_V4, PRIVATE_IPV4], [TRUSTED_V6, PRIVATE_IPV6]] as const) {
      let ok = false;
      for (let i = 0; i < 100 && !ok; i++) ok = (await client.exec(['ping', '-c', '1', '-W', '1', '-I', from, to])).exitCode === 0;
      if (!ok) throw new Error(`the client namespace cannot reach ${to} from ${from}`);
    }
    return client;
  }

  /** Runs a command in the client's namespace (the host's file system and tools). */
  exec(cmd: string[], o: { timeoutMs?: number } = {}): Promise<RunResult> {
    return run('nsenter', ['-t', String(this.pid), '-n', ...cmd], { reject: false, timeout: o.timeoutMs ?? 60_000 });
  }

  async sh(script: string): Promise<string> {
    const r = await this.exec(['sh', '-c', script]);
    if (r.exitCode !== 0) throw new Error(`client: \`${script}\` exited ${r.exitCode}:\n${r.all}`);
    return r.stdout;
  }

  /** ssh as `user` with `key` to the instance's port, from `from`; the command's output. */
  ssh(o: { user: string; key: string; port: number; from: string; command: string; timeoutS?: number }): Promise<RunResult> {
    const v6 = o.from.includes(':');
    return this.exec(
      [
        'ssh',
        '-i', o.key,
        '-p', String(o.port),
        '-o', `BindAddress=${o.from}`,
        '-o', `ConnectTimeout=${o.timeoutS ?? 10}`,
        '-o', 'BatchMode=yes',
        '-o', 'StrictHostKeyChecking=no',
        '-o', 'UserKnownHostsFile=/dev/null',
        '-o', 'LogLevel=ERROR',
        `${o.user}@${v6 ? PRIVATE_IPV6 : PRIVATE_IPV4}`,
        o.command,
      ],
      { timeoutMs: 60_000 },
    );
  }

  /** GET url with curl from `from` (-k: the lab keystore's certificate). */
  curl(url: string, from: string): Promise<RunResult> {
    return this.exec(['curl', '-sS', '-k', '-v', '--max-time', '20', '--interface', from, url]);
  }

  close(): void {
    live.delete(this);
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // gone already
    }
    this.holder.unref();
  }
}

/** Ends every client namespace this process made (afterAll). */
export function closeAllClients(): void {
  for (const c of [...live]) c.close();
}

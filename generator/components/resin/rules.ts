// The resin section's rules: the operator's template, the served ports it implies, the heap and the pool.
import type { OsModule } from '../../os/types.js';
import type { Profile } from '../../profile/types.js';
import type { ReadNamed, Report } from '../../profile/rule.js';
import { RESIN_TEMPLATE_FILE } from '../../profile/files.js';
import { PGTUNE_CONNECTIONS, RESERVED_CONNECTIONS } from '../postgres/index.js';
import { builtInResinPorts, RESIN_PORTS } from './index.js';
import { checkOperatorTemplate, resinInternalPorts, resinListeners, resinRootProblem, RESIN_PLACEHOLDERS, type ResinListeners } from './resin-xml.js';

export function checkResinTemplate(p: Profile, _os: OsModule, report: Report, read: ReadNamed): void {
  let listeners: ResinListeners | undefined = { ports: builtInResinPorts(), unknown: [] };
  let internal: number[] = [RESIN_PORTS.cluster, RESIN_PORTS.watchdog];
  if (p.resin.template) {
    const got = read(['resin', 'template'], p.resin.template, RESIN_TEMPLATE_FILE);
    const notResin = got.ok ? resinRootProblem(got.text) : got.missing ? 'is not a file' : got.why;
    listeners = undefined;
    if (!got.ok || notResin) {
      const hint = got.ok
        ? 'name your resin.xml template: its root element is <resin> (nothing of another file is shown)'
        : /outside the repository root/.test(got.why)
          ? 'a profile may only name files inside its repository root (docs/security.md)'
          : 'the path is relative to the profile that names it';
      report(['resin', 'template'], 'error', `resin.xml template ${JSON.stringify(p.resin.template)} ${notResin}`, hint);
    } else {
      const text = got.text;
      for (const problem of checkOperatorTemplate(text)) {
        report(['resin', 'template'], 'error', `resin.xml template ${JSON.stringify(p.resin.template)}: ${problem}`, `placeholders: ${RESIN_PLACEHOLDERS.map((n) => `@@${n}@@`).join(', ')}`);
      }
      for (const [name, what] of [
        ['RESIN_HEAP_MB', "Resin's heap is not sized from the instance's memory (the JVM takes a quarter of it by itself, beside PostgreSQL's share)"],
        ['DB_MAX_CONNECTIONS', "Resin's database pool is not bounded below PostgreSQL's max_connections (Resin's default is 1024)"],
      ] as const) {
        if (!text.includes(`@@${name}@@`)) report(['resin', 'template'], 'warning', `resin.xml template ${JSON.stringify(p.resin.template)} has no @@${name}@@: ${what}`, name === 'RESIN_HEAP_MB' ? 'in its <server>: <jvm-arg>-Xmx@@RESIN_HEAP_MB@@m</jvm-arg>' : 'in its <database>: <max-connections>@@DB_MAX_CONNECTIONS@@</max-connections><max-overflow-connections>0</max-overflow-connections>');
      }
      listeners = resinListeners(text);
      internal = resinInternalPorts(text) ?? [];
    }
  }
  if (listeners) checkServedPorts(p, listeners, internal, report);
}

/**
 * A public port that nothing listens on is open for nothing (or for something not yet configured);
 * one of Resin's internal ports must never be public.
 */
function checkServedPorts(p: Profile, listeners: ResinListeners, internal: number[], report: Report): void {
  const source = p.resin.template ? `resin.template ${JSON.stringify(p.resin.template)}` : 'the built-in resin.xml';
  p.firewall.publicPorts.forEach((port, i) => {
    if (internal.includes(port) && !listeners.ports.includes(port)) {
      report(
        ['firewall', 'publicPorts', i],
        'error',
        `port ${port} carries Resin's own traffic (a <server> cluster port or the watchdog's, in ${source}): open to the world, anyone could talk to Resin's cluster and watchdog`,
        'remove it from firewall.publicPorts: Resin uses it on the private address and the loopback only',
      );
      return;
    }
    if (listeners.ports.includes(port)) return;
    if (listeners.unknown.length > 0) {
      report(['firewall', 'publicPorts', i], 'warning', `cannot tell whether anything listens on port ${port}: ${source} has listeners whose port is not a number here (${listeners.unknown.join('; ')})`, 'write the ports of resin.xml as numbers, so first boot can wait for them');
    } else {
      report(
        ['firewall', 'publicPorts', i],
        'warning',
        `port ${port} is open to the world but nothing listens on it: ${source} serves ${listeners.ports.join(' and ') || 'no port'}`,
        p.resin.template ? 'add the listener to the template, or remove the port' : "the built-in resin.xml serves HTTP and HTTPS only; for WHOIS (43) and EPP (700) give CoCCA's own resin.xml as resin.template, or remove the port",
      );
    }
  });
}

/** The heap is cocca-sizing's to set. */
export function checkHeapArgs(p: Profile, _os: OsModule, report: Report): void {
  const heapArg = /(^|\s)-(Xm[sx]\S*|XX:(Max|Initial|Min)HeapSize=\S*|XX:MaxRAMPercentage=\S*)/.exec(p.resin.jvmArgs);
  if (heapArg) {
    report(['resin', 'jvmArgs'], 'error', `resin.jvmArgs sets the heap (${heapArg[0].trim()}), which first boot sizes from the instance's memory`, 'use resin.heap.mib for a fixed heap, or resin.heap.percent');
  }
}

/** A fixed pool must fit below PostgreSQL's max_connections. */
export function checkPool(p: Profile, _os: OsModule, report: Report): void {
  const pool = p.resin.pool.maxConnections;
  if (pool === undefined) return;
  const max = p.postgres.tune.connections ?? PGTUNE_CONNECTIONS[p.postgres.tune.dbType];
  if (pool > max - RESERVED_CONNECTIONS - 1) {
    report(
      ['resin', 'pool', 'maxConnections'],
      'error',
      `a pool of ${pool} does not fit PostgreSQL's max_connections ${max}${p.postgres.tune.connections === undefined ? ` (pgtune's for ${p.postgres.tune.dbType})` : ''} minus its ${RESERVED_CONNECTIONS} superuser slots and one for maintenance`,
      `at most ${max - RESERVED_CONNECTIONS - 1}, or raise postgres.tune.connections`,
    );
  }
}

// The profile reference (docs/profile-reference.md), generated from the JSON Schema so the
// two cannot drift: `npm run docs` rewrites it, a unit test checks it is current.
import { profileSchema } from './schema.js';

interface Node {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  properties?: Record<string, Node>;
  items?: Node;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function typeOf(n: Node): string {
  if (n.enum) return n.enum.map((e) => `\`${JSON.stringify(e)}\``).join(' or ');
  if (n.const !== undefined) return `\`${JSON.stringify(n.const)}\``;
  if (n.type === 'array') return `list of ${n.items ? typeOf(n.items) : 'values'}`;
  return n.type ?? '';
}

export function profileReference(): string {
  const rows: string[] = [];
  const walk = (node: Node, prefix: string) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      const hasDefault = child.default !== undefined && !(typeof child.default === 'object' && child.default !== null && !Array.isArray(child.default));
      rows.push(`| \`${path}\` | ${cell(typeOf(child))} | ${hasDefault ? `\`${cell(JSON.stringify(child.default))}\`` : ''} | ${cell(child.description ?? '')} |`);
      if (child.type === 'object') walk(child, path);
    }
  };
  walk(profileSchema() as Node, '');
  return [
    '# Profile reference (apiVersion cocca-bake/v1)',
    '',
    'Generated from `profiles/profile.schema.json` by `npm run docs`; do not edit by hand.',
    'A guide with examples and the reasons behind the defaults is in [profile.md](profile.md).',
    '',
    '| key | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.stdout.write(profileReference());
}

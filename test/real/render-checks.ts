/**
 * Renders checked in bulk by the programs that consume them, for the tests that hold
 * "whatever validate accepts renders" (accepted-renders.test.ts, escaping-property.test.ts):
 *
 * - every shell script: `bash -n`, then ShellCheck (as test/real/outputs.test.ts runs it);
 * - every HCL file: HashiCorp's parser (@cdktf/hcl2json), and `packer validate` on the
 *   legacy (Packer 1.6.6) render, offline;
 * - every XML file: `xmllint --noout`; every YAML file: PyYAML, which cloud-init loads with
 *   (and optionally `cloud-init schema`);
 * - and that given values arrive byte for byte where they land: a shell word evaluated by
 *   bash, a NAME=value line read by lib.sh's own kv_get, an XML element's text and a YAML
 *   value read by Python's parsers, an HCL string read by hcl2json.
 *
 * Renders share most files (the instance scripts are the same for every profile), so each
 * tool sees each distinct file once: a render's cost is what it changes.
 * Not a test file itself.
 */
import { parse } from '@cdktf/hcl2json';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { shq } from '../../generator/components/model.js';
import { cloudInitSchema, packerValidate, whichTool } from './tools.js';

export type Files = ReadonlyMap<string, Buffer>;
type Kind = 'shell' | 'hcl' | 'xml' | 'yaml';

interface Distinct {
  kind: Kind;
  /** Where the tools read it. */
  file: string;
  /** For ShellCheck: the directory to run from, when the script sources by relative path. */
  cwd?: string;
  /** Which render first had it, and where. */
  label: string;
  rel: string;
}

/** What `get` finds in a parsed document, compared as JSON. */
export type Getter = (doc: unknown) => unknown;

interface ValueCheck {
  label: string;
  what: string;
  want: unknown;
}

const ROOTFS = 'packer/files/rootfs/';
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A literal `${` / `%{` comes back from hcl2json (Terraform JSON) as `$${` / `%%{`. */
export const asHclJson = (s: string): string => s.replaceAll('${', () => '$${').replaceAll('%{', () => '%%{');

function kindOf(rel: string, data: Buffer): Kind | undefined {
  if (rel.endsWith('.pkr.hcl')) return 'hcl';
  if (rel.endsWith('.gz')) return undefined;
  if (/^cloud-init\/[^/]+\.yaml$/.test(rel) || rel.startsWith('packer/seed/')) return 'yaml';
  const first = data.subarray(0, 200).toString('utf8').split('\n', 1)[0] ?? '';
  if (/^#!\s*(?:\/usr)?\/bin\/(?:env\s+)?(?:bash|sh)\b/.test(first) || /^#\s*shellcheck\s+shell=(?:bash|sh)\b/.test(first)) return 'shell';
  if (rel.endsWith('.xml') || rel.endsWith('.xml.tmpl') || first.startsWith('<?xml')) return 'xml';
  return undefined;
}

export class OutputChecker {
  readonly work = mkdtempSync(path.join(tmpdir(), 'cocca-render-checks-'));
  private readonly distinct = new Map<string, Distinct>();
  /** Files another test checks: kind:sha256 to where they are written here. */
  private readonly checked = new Map<string, string>();
  private readonly hclCache = new Map<string, Promise<unknown>>();
  private readonly packerDirs = new Map<string, { dir: string; label: string }>();
  private readonly problems: string[] = [];
  private readonly words: Array<ValueCheck & { token: string }> = [];
  private readonly envs: Array<ValueCheck & { file: string; key: string }> = [];
  private readonly parsed: Array<ValueCheck & { file: string; kind: 'xml' | 'yaml'; get: Getter }> = [];
  private readonly hcls: Array<ValueCheck & { hcl: string; get: Getter }> = [];
  private libSh?: string;
  private n = 0;

  /** `packerMax`: how many distinct legacy HCL files get `packer validate` (2.5 s each). */
  constructor(private readonly opts: { packerMax?: number; cloudInit?: boolean } = {}) {}

  cleanup(): void {
    rmSync(this.work, { recursive: true, force: true });
  }

  /** A problem found while adding renders (a missing file, a value not where it belongs). */
  fail(label: string, message: string): void {
    this.problems.push(`${label}: ${message}`);
  }

  /**
   * Takes a render's files as already checked (by another test), so that later renders are
   * checked for what they change; `except` files are still checked. lib.sh is kept for kv_get.
   */
  markChecked(label: string, files: Files, except: (rel: string) => boolean): void {
    for (const [rel, data] of files) {
      const kind = kindOf(rel, data);
      if (!kind || except(rel)) continue;
      const file = path.join(this.work, 'checked', rel);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, data);
      this.checked.set(`${kind}:${sha(data)}`, file);
      if (rel === `${ROOTFS}usr/local/lib/cocca/lib.sh`) this.libSh ??= file;
    }
    this.add(label, new Map([...files].filter(([rel]) => except(rel))));
  }

  /**
   * Registers one render: `modern` by output path, and the legacy flavor's HCL. Files new to
   * the checker are written for the tools; the legacy Packer folder too, within packerMax.
   */
  add(label: string, modern: Files, legacyHcl?: string): void {
    const id = `r${++this.n}`;
    let ctx: string | undefined;
    for (const [rel, data] of modern) {
      const kind = kindOf(rel, data);
      if (!kind) continue;
      const key = `${kind}:${sha(data)}`;
      if (this.distinct.has(key) || this.checked.has(key)) continue;
      const text = data.toString('utf8');
      // A script that sources another (lib.sh, by its path on the instance or a directive) is
      // checked inside its render's rootfs, where ShellCheck finds it; step scripts opt out.
      const sources = /^\s*(?:\.|source)\s/m.test(text) && !/^#\s*shellcheck\s+source=\/dev\/null$/m.test(text);
      const relative = kind === 'shell' && rel.startsWith(ROOTFS) && sources;
      let file: string;
      let cwd: string | undefined;
      if (relative) {
        ctx ??= this.writeTree(`${id}-rootfs`, modern, ROOTFS);
        file = path.join(ctx, rel.slice(ROOTFS.length));
        cwd = ctx;
      } else {
        file = path.join(this.work, 'flat', `${key.replace(':', '-')}${kind === 'shell' ? '.sh' : `.${kind}`}`);
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, data);
      }
      this.distinct.set(key, { kind, file, cwd, label, rel });
      if (rel === `${ROOTFS}usr/local/lib/cocca/lib.sh`) this.libSh ??= file;
    }
    if (legacyHcl !== undefined && modern.has('packer/cocca.pkr.hcl')) {
      const key = sha(legacyHcl);
      if (!this.packerDirs.has(key) && this.packerDirs.size < (this.opts.packerMax ?? Infinity)) {
        const dir = this.writeTree(`${id}-packer`, modern, 'packer/');
        writeFileSync(path.join(dir, 'cocca.pkr.hcl'), legacyHcl);
        this.packerDirs.set(key, { dir, label });
      }
    }
  }

  private writeTree(name: string, files: Files, prefix: string): string {
    const dir = path.join(this.work, name);
    for (const [rel, data] of files) {
      if (!rel.startsWith(prefix)) continue;
      const out = path.join(dir, rel.slice(prefix.length));
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, data);
    }
    return dir;
  }

  /** Where a file of a render is for the tools: its distinct copy. */
  private fileOf(label: string, files: Files, rel: string): string | undefined {
    const data = files.get(rel);
    if (!data) {
      this.fail(label, `the render has no ${rel}`);
      return undefined;
    }
    const key = `${kindOf(rel, data) ?? 'other'}:${sha(data)}`;
    const known = this.distinct.get(key)?.file ?? this.checked.get(key);
    if (known) return known;
    const file = path.join(this.work, 'flat', `${key.replace(':', '-')}.${path.basename(rel)}`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, data);
    return file;
  }

  /** `value` is one word of a script among `rels` (shell-quoted by shq), and bash reads it back as `value`. */
  expectShellWord(label: string, files: Files, rels: string[], value: string, what: string): void {
    const token = shq(value);
    const holds = rels.some((rel) => {
      const text = files.get(rel)?.toString('utf8') ?? '';
      for (let i = text.indexOf(token); i !== -1; i = text.indexOf(token, i + 1)) {
        const before = i === 0 ? ' ' : text[i - 1]!;
        const after = text[i + token.length] ?? ' ';
        if (/\s/.test(before) && /[\s;]/.test(after)) return true;
      }
      return false;
    });
    if (!holds) this.fail(label, `${what}: no script among ${rels.length} holds ${token} as a word`);
    else this.words.push({ label, what, want: value, token });
  }

  /** KEY in a NAME=value file, as lib.sh's kv_get reads it on the instance. */
  expectEnv(label: string, files: Files, rel: string, key: string, value: string, what: string): void {
    const file = this.fileOf(label, files, rel);
    if (file) this.envs.push({ label, what, want: value, file, key });
  }

  /** `get(parsed document)` equals `want` (as JSON); XML parsed as {tag: [text, ...]} by local name. */
  expectParsed(label: string, files: Files, rel: string, kind: 'xml' | 'yaml', get: Getter, want: unknown, what: string): void {
    const file = this.fileOf(label, files, rel);
    if (file) this.parsed.push({ label, what, want, file, kind, get });
  }

  /** `get(hcl2json of the HCL)` equals `want`. */
  expectHcl(label: string, hcl: string, get: Getter, want: unknown, what: string): void {
    this.hcls.push({ label, what, want, hcl, get });
  }

  /** Runs the tools and the value checks; returns every problem, labelled with its render. */
  async run(): Promise<string[]> {
    const all = [...this.distinct.values()];
    const of = (k: Kind) => all.filter((d) => d.kind === k);
    await Promise.all([this.bashN(of('shell')), this.shellcheck(of('shell')), this.xmllint(of('xml'))]);
    await this.hcl(of('hcl'));
    await this.python();
    await this.bashValues();
    await this.packer();
    if (this.opts.cloudInit) await this.cloudInit(of('yaml').filter((d) => d.rel.startsWith('cloud-init/')));
    return this.problems;
  }

  private async bashN(scripts: Distinct[]): Promise<void> {
    if (scripts.length === 0) return;
    // One bash runs them all; each failure is reported with its index.
    const r = await execa('bash', ['-c', 'i=0; for f; do bash -n "$f" 2>&1 || echo "cocca-bash-n-failed $i"; i=$((i + 1)); done', 'bash-n', ...scripts.map((s) => s.file)], { reject: false, all: true });
    for (const m of String(r.all).matchAll(/^cocca-bash-n-failed (\d+)$/gm)) {
      const s = scripts[Number(m[1])]!;
      this.fail(s.label, `bash -n ${s.rel}:\n${String(r.all)}`);
    }
  }

  private async shellcheck(scripts: Distinct[]): Promise<void> {
    const sc = await whichTool('shellcheck');
    if (!sc) return this.fail('tools', 'shellcheck is not installed (sudo bash test/setup/deps.sh)');
    const groups = new Map<string, Distinct[]>();
    for (const s of scripts) groups.set(s.cwd ?? '', [...(groups.get(s.cwd ?? '') ?? []), s]);
    for (const [cwd, group] of groups) {
      const files = group.map((s) => (cwd ? path.relative(cwd, s.file) : s.file));
      const r = await execa(sc, ['-x', '-P', 'SCRIPTDIR', '-s', 'bash', '-f', 'gcc', ...files], { cwd: cwd || this.work, reject: false, all: true, timeout: 300_000 });
      if (r.exitCode !== 0) {
        for (const s of group) {
          const mine = String(r.all).split('\n').filter((l) => l.startsWith(cwd ? path.relative(cwd, s.file) : s.file));
          if (mine.length > 0) this.fail(s.label, `shellcheck ${s.rel}:\n${mine.join('\n')}`);
        }
      }
    }
  }

  private async xmllint(files: Distinct[]): Promise<void> {
    if (files.length === 0) return;
    const r = await execa('xmllint', ['--noout', ...files.map((f) => f.file)], { reject: false, all: true });
    if (r.exitCode !== 0) for (const f of files) if (String(r.all).includes(f.file)) this.fail(f.label, `xmllint ${f.rel}:\n${String(r.all)}`);
  }

  private async hcl(files: Distinct[]): Promise<void> {
    const parsed = (text: string) => {
      const key = sha(text);
      if (!this.hclCache.has(key)) this.hclCache.set(key, parse('cocca.pkr.hcl', text));
      return this.hclCache.get(key)!;
    };
    for (const f of files) {
      try {
        await parsed(readFileSync(f.file, 'utf8'));
      } catch (err) {
        this.fail(f.label, `hcl2json ${f.rel}: ${(err as Error).message}`);
      }
    }
    for (const c of this.hcls) {
      try {
        this.compare(c, c.get(await parsed(c.hcl)));
      } catch (err) {
        this.fail(c.label, `${c.what}: hcl2json: ${(err as Error).message}`);
      }
    }
  }

  private compare(c: ValueCheck, got: unknown): void {
    if (JSON.stringify(got) !== JSON.stringify(c.want)) this.fail(c.label, `${c.what}: expected ${JSON.stringify(c.want)}, got ${JSON.stringify(got)}`);
  }

  /** One Python for every YAML and XML file: PyYAML as cloud-init loads, ElementTree for XML. */
  private async python(): Promise<void> {
    const kinds = new Map<string, 'xml' | 'yaml'>();
    for (const d of this.distinct.values()) if (d.kind === 'yaml') kinds.set(d.file, 'yaml');
    for (const p of this.parsed) kinds.set(p.file, p.kind);
    if (kinds.size === 0) return;
    const script = [
      'import json, sys, yaml, xml.etree.ElementTree as ET',
      'out = {}',
      'for f, kind in json.load(sys.stdin).items():',
      '    try:',
      '        if kind == "yaml":',
      '            out[f] = {"ok": yaml.safe_load(open(f, encoding="utf-8"))}',
      '        else:',
      '            texts = {}',
      '            for el in ET.parse(f).iter():',
      '                texts.setdefault(el.tag.split("}")[-1], []).append(el.text or "")',
      '            out[f] = {"ok": texts}',
      '    except Exception as e:',
      '        out[f] = {"error": repr(e)}',
      'json.dump(out, sys.stdout, ensure_ascii=True, default=str)',
    ].join('\n');
    const r = await execa('/usr/bin/python3', ['-c', script], { input: JSON.stringify(Object.fromEntries(kinds)), reject: false, maxBuffer: 1 << 30 });
    if (r.exitCode !== 0) return this.fail('tools', `python3 (PyYAML, ElementTree): ${String(r.stderr)}`);
    const out = JSON.parse(String(r.stdout)) as Record<string, { ok?: unknown; error?: string }>;
    for (const d of this.distinct.values()) if (d.kind === 'yaml' && out[d.file]?.error) this.fail(d.label, `PyYAML ${d.rel}: ${out[d.file]!.error}`);
    for (const p of this.parsed) {
      const doc = out[p.file];
      if (!doc || doc.error) this.fail(p.label, `${p.what}: cannot parse: ${doc?.error}`);
      else this.compare(p, p.get(doc.ok));
    }
  }

  /** One bash for every shell word and NAME=value line: values back NUL-separated. */
  private async bashValues(): Promise<void> {
    if (this.words.length + this.envs.length === 0) return;
    if (!this.libSh) return this.fail('tools', 'no render carried lib.sh (its kv_get reads the NAME=value files)');
    const lines = ['set -u', `. ${shq(this.libSh)}`];
    for (const w of this.words) lines.push(`printf '%s\\0' ${w.token}`);
    for (const e of this.envs) lines.push(`kv_get ${shq(e.file)} ${shq(e.key)} || printf '<absent>'; printf '\\0'`);
    const script = path.join(this.work, 'values.sh');
    writeFileSync(script, `${lines.join('\n')}\n`);
    const r = await execa('bash', [script], { reject: false, encoding: 'buffer', stripFinalNewline: false });
    const got = Buffer.from(r.stdout).toString('utf8').split('\0');
    if (r.exitCode !== 0 || got.length !== this.words.length + this.envs.length + 1) {
      return this.fail('tools', `bash read ${got.length - 1} values for ${this.words.length + this.envs.length} (a word that is not one word?):\n${Buffer.from(r.stderr).toString()}`);
    }
    [...this.words, ...this.envs].forEach((c, i) => this.compare(c, got[i]));
  }

  private async packer(): Promise<void> {
    const dirs = [...this.packerDirs.values()];
    const queue = [...dirs];
    await Promise.all(
      Array.from({ length: 2 }, async () => {
        for (let d = queue.shift(); d; d = queue.shift()) {
          const r = await packerValidate(d.dir);
          if (!r.ok) this.fail(d.label, `packer validate (legacy flavor):\n${r.output}`);
        }
      }),
    );
  }

  private async cloudInit(files: Distinct[]): Promise<void> {
    for (const f of files) {
      const r = await cloudInitSchema(f.file);
      if (!r.ok) this.fail(f.label, `cloud-init schema ${f.rel}:\n${r.output}`);
    }
  }

  /** How many distinct files each tool saw, for the test's log. */
  summary(): string {
    const count = (k: Kind) => [...this.distinct.values()].filter((d) => d.kind === k).length;
    return `${count('shell')} scripts, ${count('hcl')} HCL, ${count('xml')} XML, ${count('yaml')} YAML distinct; packer validate on ${this.packerDirs.size}; ${this.words.length + this.envs.length + this.parsed.length + this.hcls.length} values checked`;
  }
}

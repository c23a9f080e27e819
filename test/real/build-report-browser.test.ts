/**
 * `cocca-bake report` checked in a real browser: Debian's Chromium, headless, inside a network
 * namespace of its own (`unshare -n`: nothing it could fetch is reachable). Records come from
 * the Packer stand-in build (test/helpers/report-records.ts); the built CLI writes the report;
 * Chromium's --dump-dom gives the page as parsed and laid out, --screenshot a PNG kept in
 * test-artifacts/build-report/ for a person to look at.
 */
import { execa } from 'execa';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReportRecord } from '../../generator/build-report/index.js';
import { failedQemuRecord, interruptedRecord, okAwsRecord } from '../helpers/report-records.js';
import { hasTool, isRoot } from './tools.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts/build-report');
const NEEDS = ['chromium', 'unshare'];
const missing = process.env.CI === 'true' ? [] : [...(await Promise.all(NEEDS.map(async (t) => ((await hasTool(t)) ? [] : [t])))).flat(), ...(isRoot() ? [] : ['root'])];
const SKIP = missing.length > 0 ? `needs ${missing.join(', ')} (sudo bash test/setup/deps.sh)` : undefined;

/** Would run in the page if any of it became markup instead of text. */
const HOSTILE = `<script>document.documentElement.setAttribute('data-pwned','script')</script><img src=x onerror="document.documentElement.setAttribute('data-pwned','img')">`;

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'cocca-report-'));
  mkdirSync(ARTIFACTS, { recursive: true });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Chromium with no network, a throwaway profile, no GPU; its own stderr is noise (D-Bus) unless it fails. */
async function chromium(url: string, args: string[]): Promise<string> {
  const profileDir = mkdtempSync(path.join(work, 'chromium-'));
  const r = await execa('unshare', ['-n', 'chromium', '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--user-data-dir=${profileDir}`, ...args, url], { reject: false, timeout: 60_000 });
  if (r.exitCode !== 0) throw new Error(`chromium exited ${r.exitCode}: ${r.stderr.slice(-2000)}`);
  return r.stdout;
}

async function report(name: string, record: ReportRecord): Promise<{ dir: string; dom: string; text: string }> {
  const recordFile = path.join(work, name, 'build-record.json');
  mkdirSync(path.dirname(recordFile), { recursive: true });
  writeFileSync(recordFile, JSON.stringify(record, null, 2));
  const out = path.join(work, name, 'report');
  const r = await execa('node', [path.join(ROOT, 'dist/generator/cli.js'), 'report', recordFile, '--out', out], { reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/^wrote .*report\.html \(\d+ bytes\) and .*report\.txt\n?$/);
  const dom = await chromium(`file://${out}/report.html`, ['--dump-dom']);
  return { dir: out, dom, text: readFileSync(path.join(out, 'report.txt'), 'utf8') };
}

interface DomBar {
  state: string;
  left: number;
  width: number;
  ms?: number;
}
/** The bars inside one timeline container of the dumped DOM. */
function barsIn(dom: string, id: string): DomBar[] {
  const start = dom.indexOf(`id="${id}"`);
  if (start < 0) return [];
  const end = dom.indexOf('<h2', start);
  const part = dom.slice(start, end < 0 ? undefined : end);
  return [...part.matchAll(/<span class="bar (\w+)" style="left: ?([\d.]+)%; ?width: ?([\d.]+)%;?" data-ms="(\d*)"/g)].map((m) => ({
    state: m[1]!,
    left: Number(m[2]),
    width: Number(m[3]),
    ms: m[4] === '' ? undefined : Number(m[4]),
  }));
}

/** Nothing in the page that a browser would fetch or run. */
function expectSelfContained(dom: string): void {
  expect(dom).not.toMatch(/<(script|img|iframe|object|embed|link|video|audio|source)\b/i);
  // Text in the serialised DOM has its < escaped: every < left opens a real element.
  const tags = dom.match(/<[a-zA-Z][^>]*>/g) ?? [];
  expect(tags.length).toBeGreaterThan(50);
  expect(tags.filter((t) => /\s(src|href|srcset|action|formaction|poster|background)\s*=/i.test(t))).toEqual([]);
  expect(dom).not.toMatch(/url\(|@import/i);
  expect(dom).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
}

async function screenshot(dir: string, name: string): Promise<void> {
  const png = path.join(ARTIFACTS, `${name}.png`);
  rmSync(png, { force: true });
  await chromium(`file://${dir}/report.html`, ['--window-size=1200,1800', `--screenshot=${png}`]);
  expect(existsSync(png)).toBe(true);
  const bytes = readFileSync(png);
  expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  expect([bytes.readUInt32BE(16), bytes.readUInt32BE(20)]).toEqual([1200, 1800]);
  // A blank page of that size compresses to a few kilobytes; a drawn report does not.
  expect(statSync(png).size).toBeGreaterThan(30_000);
}

describe.skipIf(SKIP)(`build report in headless Chromium${SKIP ? `: ${SKIP}` : ''}`, () => {
  it('the detector works: a page with a script does run it in this Chromium', async () => {
    const control = path.join(work, 'control.html');
    writeFileSync(control, `<!DOCTYPE html><html><body><p>x</p>${HOSTILE}</body></html>`);
    expect(await chromium(`file://${control}`, ['--dump-dom'])).toMatch(/<html data-pwned="(script|img)"/);
  });

  it('ok aws build: step bars in proportion, copies and stages on the clock, AMIs and retention', async () => {
    const record = await okAwsRecord(path.join(work, 'b-ok'));
    const { dir, dom, text } = await report('ok', record);
    expectSelfContained(dom);
    expect(dom).toContain('<span class="badge ok">ok</span>');

    const bars = barsIn(dom, 'steps');
    expect(bars).toHaveLength(record.steps.length);
    const total = record.steps.reduce((n, s) => n + s.ms!, 0);
    let left = 0;
    bars.forEach((b, i) => {
      expect(b.ms).toBe(record.steps[i]!.ms);
      expect(b.width).toBeCloseTo((b.ms! / total) * 100, 2);
      expect(b.left).toBeCloseTo(left, 2);
      left += b.width;
    });
    // The OpenSSL build is the longest bar, by its share of the time.
    const longest = bars.reduce((a, b) => (b.width > a.width ? b : a));
    expect(longest.ms).toBe(312_400);
    // Phases as groups: bake then seal.
    expect([...dom.matchAll(/<h3>(\w+) · /g)].map((m) => m[1])).toEqual(['bake', 'seal']);

    const clock = barsIn(dom, 'finishing');
    expect(clock).toHaveLength(record.stages!.length + record.outputs.aws!.copies.length);
    const t = (s?: string) => Date.parse(s!);
    const first = t(record.stages![0]!.startedAt);
    const span = t(record.stages![4]!.finishedAt) - first;
    const eu = record.outputs.aws!.copies[0]!;
    const euBar = clock[5]!;
    expect(euBar.width).toBeCloseTo(((t(eu.finishedAt) - t(eu.startedAt)) / span) * 100, 2);
    expect(euBar.left).toBeCloseTo(((t(eu.startedAt) - first) / span) * 100, 2);
    expect(dom).toContain('copy to eu-west-1');

    const retired = record.outputs.aws!.retention![0]!.deregistered;
    expect(retired).toHaveLength(1);
    for (const id of ['ami-0new000000000001', eu.imageId!, ...retired]) expect(dom).toContain(id);
    expect(dom).toContain(record.artifacts.openssl!.sha256);
    expect(dom).toContain('1.10.0 (modern HCL)');
    expect(text).toMatch(/^result: +ok$/m);
    expect(text).toContain(`retention af-south-1: deregistered ${retired[0]}`);
    await screenshot(dir, 'ok-aws');
  });

  it('failed qemu build: the failed step, the log tail, hostile text shown as text', async () => {
    const record = await failedQemuRecord(path.join(work, 'b-failed'), HOSTILE);
    const { dir, dom, text } = await report('failed', record);
    expectSelfContained(dom);
    expect(dom).not.toContain('data-pwned="');
    expect(dom).toContain('<span class="badge failed">failed</span>');
    // The hostile text is in the page, as text (escaped once in the serialised DOM).
    expect(dom).toContain('&lt;script&gt;document.documentElement.setAttribute(\'data-pwned\',\'script\')&lt;/script&gt;&lt;img src=x onerror=');
    const tail = /<pre id="log-tail">([\s\S]*?)<\/pre>/.exec(dom)![1]!;
    expect(tail).toContain('cocca[resin.build]: ERROR');
    expect(tail).toContain('&lt;script&gt;');
    const bars = barsIn(dom, 'steps');
    expect(bars.at(-1)).toMatchObject({ state: 'failed', width: 0, ms: undefined });
    expect(dom).toContain('failed here');
    expect(dom).toContain('1.6.6 (legacy HCL)');
    expect(dom).toContain('No image is recorded as good');
    expect(text).toMatch(/^failed step: +resin\.build$/m);
    await screenshot(dir, 'failed-qemu');
  });

  it('interrupted build: a hostile profile name, what may remain, pending stages without bars', async () => {
    const record = await interruptedRecord(path.join(work, 'b-int'), `reg${HOSTILE}`);
    const { dir, dom, text } = await report('interrupted', record);
    expectSelfContained(dom);
    expect(dom).not.toContain('data-pwned="');
    expect(dom).toContain('<h1 id="profile">reg&lt;script&gt;');
    expect(dom).toContain('<span class="badge interrupted">interrupted</span>');
    for (const x of record.remaining!) expect(dom).toContain(x);
    // Only the bake stage has times: one bar; the pending stages are rows without a bar.
    const clock = barsIn(dom, 'finishing');
    expect(clock).toEqual([{ state: 'failed', left: 0, width: 100, ms: 400_000 }]);
    expect(dom.match(/<div class="row" data-kind="untimed" data-state="pending">/g)).toHaveLength(4);
    expect(dom.match(/<span class="note">not started<\/span>/g)).toHaveLength(4);
    expect(text).toContain('may remain in the account:\n  EC2 instance i-0abc1234def567890');
    await screenshot(dir, 'interrupted-aws');
  });
});

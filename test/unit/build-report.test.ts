// `cocca-bake report`: reading a record someone hands in, the timeline arithmetic, escaping,
// and the CLI's errors. The page itself is checked in a real browser in
// test/real/build-report-browser.test.ts.
import { execa } from 'execa';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRecord, reportHtml, reportText, type ReportRecord } from '../../generator/build-report/index.js';
import { escapeHtml, html } from '../../generator/build-report/markup.js';
import { clockTimeline, duration, stepTimeline } from '../../generator/build-report/timeline.js';

const CLI = path.resolve('dist/generator/cli.js');
let work: string;
beforeEach(() => {
  work = mkdtempSync(path.join(tmpdir(), 'cocca-report-unit-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const base = (): ReportRecord => ({
  schema: 'cocca-bake/build-record/v1',
  coccaBake: '0.1.0',
  profile: 'p',
  profileFile: '/r/profiles/p.yaml',
  profileDigest: 'd'.repeat(64),
  target: 'qemu',
  packer: { path: '/usr/bin/packer', version: '1.6.6', flavor: 'legacy' },
  artifacts: { war: { url: 'https://example.org/ROOT.war', sha256: 'unpinned' } },
  baseImage: { url: 'file:///srv/base.qcow2', sha256: 'a'.repeat(64) },
  outputs: { qemu: { path: '/b/cocca-p.qcow2', bytes: 1_234_567_890, sha256: 'b'.repeat(64) } },
  steps: [
    { source: 'q', phase: 'bake', step: 'a.one', ms: 1000, ok: true },
    { source: 'q', phase: 'bake', step: 'a.two', ms: 3000, ok: true },
    { source: 'q', phase: 'seal', step: 'generalize.clean', ms: 4000, ok: true },
  ],
  startedAt: '2026-11-29T10:00:00.000Z',
  finishedAt: '2026-11-29T10:20:00.000Z',
  totalMs: 1_200_000,
  result: 'ok',
  log: '/b/packer.log',
});

const write = (doc: unknown, name = 'build-record.json') => {
  const f = path.join(work, name);
  writeFileSync(f, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return f;
};

describe('timelines', () => {
  it('steps one after another, grouped by phase, widths in proportion', () => {
    const t = stepTimeline(base())!;
    expect(t.totalMs).toBe(8000);
    expect(t.groups.map((g) => [g.phase, g.ms])).toEqual([['bake', 4000], ['seal', 4000]]);
    expect(t.groups.flatMap((g) => g.bars.map((b) => [b.left, b.width]))).toEqual([[0, 12.5], [12.5, 37.5], [50, 50]]);
  });
  it('copies and stages on the clock; entries without times listed, not drawn; none at all: no timeline', () => {
    const r = base();
    expect(clockTimeline(r)).toBeUndefined();
    r.stages = [
      { name: 'copies', state: 'done', startedAt: '2026-11-29T10:00:00Z', finishedAt: '2026-11-29T10:10:00Z' },
      { name: 'retention', state: 'pending' },
      { name: 'tags', state: 'done', startedAt: 'not a date', finishedAt: '2026-11-29T10:10:00Z' },
    ];
    r.outputs.aws = { region: 'af-south-1', imageId: 'ami-1', copies: [{ region: 'eu-west-1', ok: false, error: 'denied', startedAt: '2026-11-29T10:05:00Z', finishedAt: '2026-11-29T10:07:30Z' }] };
    const t = clockTimeline(r)!;
    expect(t.totalMs).toBe(600_000);
    expect(t.bars.map((b) => [b.label, b.state, b.left, b.width, b.note, b.untimed])).toEqual([
      ['stage copies', 'ok', 0, 100, undefined, undefined],
      ['stage retention', 'pending', 0, 0, 'not started', true],
      ['stage tags', 'ok', 0, 0, 'no times recorded', true],
      ['copy to eu-west-1', 'failed', 50, 25, 'denied', undefined],
    ]);
  });
  it('durations read as a person says them', () => {
    expect([999, 1500, 75_000, 119_999, 3_700_000].map(duration)).toEqual(['999 ms', '1.5 s', '1 min 15 s', '1 min 59 s', '1 h 01 min']);
  });
});

describe('escaping', () => {
  it('every interpolated value, attributes included; fragments pass', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(html`<p title="${'"><script>'}">${['<b>', html`<i>ok</i>`]}</p>`.html).toBe('<p title="&quot;&gt;&lt;script&gt;">&lt;b&gt;<i>ok</i></p>');
  });
  it('no value of a record becomes markup in the page', () => {
    const evil = `</title><script>alert(1)</script><img src=x onerror=alert(2)>"'`;
    const r = base();
    Object.assign(r, { profile: evil, error: evil, failedStep: evil, result: 'failed', logTail: [evil], remaining: [evil] });
    r.artifacts[evil] = { url: evil, sha256: evil };
    r.steps[0]!.step = evil;
    r.steps[0]!.phase = evil;
    r.stages = [{ name: evil, state: evil, startedAt: '2026-11-29T10:00:00Z', finishedAt: '2026-11-29T10:01:00Z', detail: evil }];
    r.outputs.aws = { region: evil, imageId: evil, copies: [{ region: evil, ok: false, error: evil }], retention: [{ region: evil, deregistered: [evil], kept: [evil], error: evil }] };
    const page = reportHtml(r);
    expect(page).not.toMatch(/<script|<img|onerror=alert\(2\)>/);
    expect(page.match(/&lt;script&gt;alert\(1\)&lt;\/script&gt;/g)!.length).toBeGreaterThan(15);
    // Only our own elements: each opening tag is from the fixed set the page uses.
    const names = new Set([...page.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase()));
    expect([...names].filter((n) => !['html', 'head', 'meta', 'title', 'style', 'body', 'h1', 'h2', 'h3', 'p', 'table', 'tr', 'th', 'td', 'span', 'div', 'ul', 'li', 'pre', 'i', 'footer'].includes(n))).toEqual([]);
  });
  it('the text report carries no control character a terminal would act on', () => {
    const r = base();
    r.error = 'boom \x1b[2J\x1b]0;title\x07 \u009b31m';
    const text = reportText(r);
    expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
    expect(text).toContain('boom \\u001b[2J\\u001b]0;title\\u0007 \\u009b31m');
  });
  it('the text report: result, sizes, unpinned inputs, outputs', () => {
    const text = reportText(base());
    expect(text).toMatch(/^result: +ok$/m);
    expect(text).toContain('war        UNPINNED  https://example.org/ROOT.war');
    expect(text).toContain('qcow2 /b/cocca-p.qcow2, 1.1 GiB (1234567890 bytes), sha256 ' + 'b'.repeat(64));
    expect(text).toContain('  bake (4.0 s)\n    a.one');
  });
});

describe('reading a record', () => {
  it.each([
    ['not a JSON object', []],
    ['not a cocca-bake build record (schema "something/else", expected "cocca-bake/build-record/v1")', { schema: 'something/else' }],
    ['steps is not a list of {phase, step, ms?, ok}', { ...base(), steps: 'x' }],
    ['outputs.aws is not an object with region, imageId and copies', { ...base(), outputs: { aws: { region: 'r', imageId: 'i' } } }],
    ['stages is not a list of {name, state, startedAt?, finishedAt?, detail?}', { ...base(), stages: [{ name: 'bake' }] }],
    ['logTail is not a list of strings', { ...base(), logTail: [1] }],
  ] as Array<[string, unknown]>)('%s', (why, doc) => {
    const f = write(doc);
    expect(() => readRecord(f)).toThrow(`${f}: ${why}`);
  });
  it('a record of today (no optional fields) reads', () => {
    expect(readRecord(write(base())).profile).toBe('p');
  });
});

describe('the CLI', () => {
  it('writes report.html and report.txt beside the record', async () => {
    const f = write(base());
    const r = await execa('node', [CLI, 'report', f], { reject: false });
    expect(r.exitCode).toBe(0);
    expect(readdirSync(work).sort()).toEqual(['build-record.json', 'report.html', 'report.txt']);
    expect(readFileSync(path.join(work, 'report.html'), 'utf8')).toContain('<h1 id="profile">p</h1>');
  });
  it.each([
    ['a missing file', () => path.join(work, 'none.json'), /^cocca-bake: cannot read .*none\.json: no such file$/],
    ['a directory', () => work, /^cocca-bake: cannot read .*: it is a directory$/],
    ['not JSON', () => write('{"schema": "cocca-bake/build-record/v1", secret-line', 'x.json'), /^cocca-bake: .*x\.json: not JSON, so not a build record$/],
    ['another JSON file', () => write({ name: 'package' }, 'package.json'), /^cocca-bake: .*package\.json: not a cocca-bake build record \(schema missing/],
  ])('%s: one line, exit 1, nothing written', async (_, file, message) => {
    const out = path.join(work, 'out');
    const r = await execa('node', [CLI, 'report', file(), '--out', out], { reject: false });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('secret-line');
    expect(existsSync(out)).toBe(false);
  });
  it('no record named: usage, exit 2', async () => {
    const r = await execa('node', [CLI, 'report'], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("missing required argument 'record'");
  });
});

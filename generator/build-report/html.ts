// report.html: one self-contained page (inline CSS, no script, nothing fetched: the Content
// Security Policy forbids it too), readable offline and safe to open from an untrusted record.
import { Fragment, html } from './markup.js';
import type { ReportRecord } from '../commands/build/record-input.js';
import { clockTimeline, duration, size, stepTimeline, type Bar } from './timeline.js';

const STYLE = `
:root { --ok: #2e7d32; --failed: #c62828; --warn: #ef6c00; --muted: #6b6b6b; --track: #eceff1; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0 auto; max-width: 1100px; padding: 24px; color: #1b1b1b; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; word-break: break-all; }
h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 13px; margin: 14px 0 4px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 3px 10px 3px 0; border-bottom: 1px solid #f0f0f0; }
th { font-weight: 600; white-space: nowrap; width: 1%; }
code, pre, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12.5px; }
td.mono, .mono { word-break: break-all; }
pre { background: #f6f8fa; border: 1px solid #e1e4e8; padding: 10px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; color: #fff; font-weight: 600; }
.badge.ok { background: var(--ok); } .badge.failed { background: var(--failed); } .badge.interrupted, .badge.running { background: var(--warn); }
.sub { color: var(--muted); }
.unpinned { color: var(--warn); font-weight: 600; }
.error { color: var(--failed); }
.timeline { margin: 4px 0 10px; }
.row { display: grid; grid-template-columns: 220px 1fr 90px; gap: 8px; align-items: center; min-height: 18px; }
.row .label { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.row .ms { font-size: 12px; color: var(--muted); text-align: right; white-space: nowrap; }
.track { position: relative; height: 12px; background: var(--track); border-radius: 2px; }
.bar { position: absolute; top: 0; bottom: 0; min-width: 2px; border-radius: 2px; background: var(--ok); }
.bar.failed { background: var(--failed); } .bar.unknown, .bar.pending { background: var(--warn); } .bar.skipped { background: #b0bec5; }
.note { grid-column: 2 / 4; font-size: 12px; color: var(--muted); margin-top: -2px; word-break: break-all; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; color: var(--muted); }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; vertical-align: -1px; }
footer { margin-top: 32px; font-size: 12px; color: var(--muted); }
`;

const pct = (n: number) => `${n.toFixed(3)}%`;

function bars(list: Bar[]): Fragment {
  return html`${list.map(
    (b) => html`<div class="row" data-kind="${b.untimed ? 'untimed' : 'bar'}" data-state="${b.state}"><span class="label" title="${b.label}">${b.label}</span><span class="track">${b.untimed ? false : html`<span class="bar ${b.state}" style="left:${pct(b.left)};width:${pct(b.width)}" data-ms="${b.ms ?? ''}" data-state="${b.state}"></span>`}</span><span class="ms">${b.ms !== undefined ? duration(b.ms) : '—'}</span>${b.note ? html`<span class="note">${b.note}</span>` : false}</div>`,
  )}`;
}

const row = (name: string, value: Fragment | string | number | undefined, cls = '') =>
  value === undefined || value === '' ? false : html`<tr><th>${name}</th><td class="${cls}">${value}</td></tr>`;

function summary(r: ReportRecord): Fragment {
  return html`<table>
${row('result', html`<span class="badge ${r.result}">${r.result}</span>`)}
${row('failed step', r.failedStep, 'mono')}
${row('error', r.error ? html`<span class="error">${r.error}</span>` : undefined)}
${row('target', r.target)}
${row('started', r.startedAt)}
${row('finished', r.finishedAt)}
${row('total', r.totalMs !== undefined ? duration(r.totalMs) : undefined)}
${row('profile file', r.profileFile, 'mono')}
${row('profile digest', r.profileDigest, 'mono')}
${row('cocca-bake', r.coccaBake)}
${row('Packer', r.packer.version ? `${r.packer.version} (${r.packer.flavor || 'unknown'} HCL)` : 'not found')}
${row('Packer path', r.packer.path, 'mono')}
${row('log', r.log, 'mono')}
${row('record digest', r.digest, 'mono')}
</table>`;
}

function inputs(r: ReportRecord): Fragment {
  const artifacts = Object.entries(r.artifacts);
  const base = r.baseImage;
  return html`<h2>Inputs</h2>
<table><tr><th>artifact</th><th>SHA-256</th><th>URL</th></tr>
${artifacts.map(([name, a]) => html`<tr><td class="mono">${name}</td><td class="mono">${a.sha256 === 'unpinned' ? html`<span class="unpinned">unpinned</span>` : a.sha256}</td><td class="mono">${a.url}</td></tr>`)}
${artifacts.length === 0 ? html`<tr><td colspan="3" class="sub">none recorded</td></tr>` : false}
</table>
<h3>Base image</h3>
<table>${row('image id', base.imageId, 'mono')}${row('url', base.url, 'mono')}${row('sha256', base.sha256, 'mono')}${!base.imageId && !base.url ? html`<tr><td class="sub">not recorded (the build stopped before Packer found it)</td></tr>` : false}</table>`;
}

function bakeTimeline(r: ReportRecord): Fragment {
  const t = stepTimeline(r);
  if (!t) return html`<h2>Bake timeline</h2><p class="sub">No step ran.</p>`;
  return html`<h2>Bake timeline</h2>
<p class="sub">${r.steps.length} steps in ${duration(t.totalMs)} inside Packer, one after another; bar widths are in proportion to each step's time.</p>
<div class="timeline" id="steps">
${t.groups.map((g) => html`<h3>${g.phase} · ${duration(g.ms)}</h3>${bars(g.bars)}`)}
</div>`;
}

function finishingTimeline(r: ReportRecord): Fragment {
  const t = clockTimeline(r);
  if (!t) {
    const stages = r.stages ?? [];
    if (stages.length === 0) return html``;
    return html`<h2>Finishing stages</h2><table>${stages.map((s) => html`<tr><th>${s.name}</th><td>${s.state}</td><td>${s.detail}</td></tr>`)}</table>`;
  }
  return html`<h2>Finishing stages and region copies</h2>
<p class="sub">From ${t.start}, ${duration(t.totalMs)} in all; bars are placed on the clock.</p>
<div class="timeline" id="finishing">${bars(t.bars)}</div>`;
}

function outputs(r: ReportRecord): Fragment {
  const { aws, qemu } = r.outputs;
  if (!aws && !qemu) return html`<h2>Outputs</h2><p class="sub">${r.result === 'ok' ? 'none recorded' : 'No image is recorded as good: the build did not finish.'}</p>`;
  return html`<h2>Outputs</h2>
${aws
  ? html`<h3>AMIs</h3><table><tr><th>region</th><th>image</th><th>state</th></tr>
<tr><td class="mono">${aws.region}</td><td class="mono">${aws.imageId}</td><td>built here</td></tr>
${aws.copies.map((c) => html`<tr><td class="mono">${c.region}</td><td class="mono">${c.imageId ?? '—'}</td><td>${c.ok ? 'copied' : html`<span class="error">copy failed${c.error ? html`: ${c.error}` : false}</span>`}</td></tr>`)}
</table>`
  : false}
${qemu ? html`<h3>qcow2</h3><table>${row('path', qemu.path, 'mono')}${row('size', size(qemu.bytes))}${row('sha256', qemu.sha256, 'mono')}</table>` : false}
${aws?.retention && aws.retention.length > 0
  ? html`<h3>Retention</h3><table><tr><th>region</th><th>deregistered</th><th>kept</th></tr>
${aws.retention.map((x) => html`<tr><td class="mono">${x.region}</td><td class="mono">${x.deregistered.join(', ') || '—'}</td><td class="mono">${x.kept.join(', ') || '—'}${x.error ? html`<div class="error">${x.error}</div>` : false}</td></tr>`)}</table>`
  : false}`;
}

export function reportHtml(r: ReportRecord): string {
  const title = `${r.profile} · ${r.target} · ${r.result}`;
  const page = html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>${new Fragment(STYLE)}</style></head>
<body>
<h1 id="profile">${r.profile}</h1>
<p class="sub">cocca-bake build report · target ${r.target}</p>
${summary(r)}
${r.remaining && r.remaining.length > 0 ? html`<h2>May remain in the account</h2><p class="sub">The build was stopped; Packer named these and may not have removed them.</p><ul>${r.remaining.map((x) => html`<li class="mono">${x}</li>`)}</ul>` : false}
${r.logTail && r.logTail.length > 0 ? html`<h2>Last lines of the log</h2><pre id="log-tail">${r.logTail.join('\n')}</pre>` : false}
${inputs(r)}
${bakeTimeline(r)}
${finishingTimeline(r)}
${outputs(r)}
<div class="legend"><span><i style="background:var(--ok)"></i>done</span><span><i style="background:var(--failed)"></i>failed</span><span><i style="background:var(--warn)"></i>unfinished or pending</span><span><i style="background:#b0bec5"></i>skipped</span></div>
<footer>Written by cocca-bake report from the build record; every value above is shown as recorded.</footer>
</body></html>
`;
  return page.html;
}

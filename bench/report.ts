// Size and time of `cocca-bake report` for realistic records (the Packer stand-in build of
// test/helpers/report-records.ts: an AMI copied to the profile's other region, with every stage; a failed qcow2 build
// with its log tail). Usage: npx tsx bench/report.ts
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { reportHtml, reportText, type ReportRecord } from '../generator/build-report/index.js';
import { failedQemuRecord, okAwsRecord } from '../test/helpers/report-records.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const work = mkdtempSync(path.join(tmpdir(), 'cocca-bench-report-'));
try {
  const ok = await okAwsRecord(path.join(work, 'ok'));
  const records: Array<[string, ReportRecord]> = [
    [`ok aws (${ok.steps.length} steps, ${ok.outputs.aws!.copies.length} copies, ${ok.stages!.length} stages, retention)`, ok],
    ['failed qemu (log tail)', await failedQemuRecord(path.join(work, 'failed'), 'error: exit status 1')],
  ];
  for (const [name, record] of records) {
    const json = JSON.stringify(record, null, 2);
    writeFileSync(path.join(work, 'r.json'), json);
    const runs = 200;
    const t0 = performance.now();
    let page = '';
    for (let i = 0; i < runs; i++) page = reportHtml(record);
    const ms = (performance.now() - t0) / runs;
    const text = reportText(record);
    console.log(`${name}:`);
    console.log(`  record ${Buffer.byteLength(json)} bytes; report.html ${Buffer.byteLength(page)} bytes (${gzipSync(page).length} gzip); report.txt ${Buffer.byteLength(text)} bytes; HTML in ${ms.toFixed(2)} ms (mean of ${runs})`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

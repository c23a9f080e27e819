// Size and time of `cocca-bake report` for realistic records (the Packer stand-in build of
// test/helpers/report-records.ts: an AMI with two copies and every stage; a failed qcow2 build
// with its log tail). Usage: npx tsx bench/report.ts
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { reportHtml, reportText, type ReportRecord } from '../generator/build-report/index.js';
import { failedQemuRecord, okAwsRecord } from '../test/helpers/report-records.js';

const work = mkdtempSync(path.join(tmpdir(), 'cocca-bench-report-'));
try {
  const records: Array<[string, ReportRecord]> = [
    ['ok aws (19 steps, 2 copies, 5 stages, retention)', await okAwsRecord(path.join(work, 'ok'))],
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

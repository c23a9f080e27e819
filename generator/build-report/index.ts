// `cocca-bake report RECORD`: a build record turned into report.html and report.txt, beside
// the record or in --out. Both files appear together or not at all.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { reportHtml } from './html.js';
import { readRecord } from '../commands/build/record-input.js';
import { reportText } from './text.js';

export { RecordInputError, readRecord, type ReportRecord } from '../commands/build/record-input.js';
export { reportHtml } from './html.js';
export { reportText } from './text.js';

export interface WrittenReport {
  html: string;
  text: string;
  htmlBytes: number;
}

export function writeBuildReport(recordFile: string, outDir?: string): WrittenReport {
  const record = readRecord(recordFile);
  const dir = outDir ?? path.dirname(recordFile);
  const files = { html: path.join(dir, 'report.html'), text: path.join(dir, 'report.txt') };
  const content = { html: reportHtml(record), text: reportText(record) };
  mkdirSync(dir, { recursive: true });
  const temps = { html: `${files.html}.${process.pid}.tmp`, text: `${files.text}.${process.pid}.tmp` };
  try {
    writeFileSync(temps.html, content.html);
    writeFileSync(temps.text, content.text);
    renameSync(temps.html, files.html);
    renameSync(temps.text, files.text);
  } finally {
    rmSync(temps.html, { force: true });
    rmSync(temps.text, { force: true });
  }
  return { ...files, htmlBytes: Buffer.byteLength(content.html) };
}

// Instance files without their commentary: the repository keeps the comments, the server
// and the user-data (16 KiB on EC2) get only what runs. Only full-line comments and blank
// lines go; shebangs and shellcheck directives stay. Heredoc bodies are left alone.
export function compactScript(content: string): string {
  const lines = content.split('\n');
  const first = lines[0] ?? '';
  const isShell = /^#!.*\b(bash|sh)\b/.test(first) || /^# shellcheck shell=/.test(first);
  const isPython = /^#!.*\bpython3?\b/.test(first);
  if (!isShell && !isPython) return content;

  const out: string[] = [];
  let heredocEnd: string | undefined;
  let i = 0;
  if (isPython) {
    out.push(first);
    i = 1;
    // The module docstring is documentation, not code.
    if (/^\s*"""/.test(lines[1] ?? '')) {
      i = 2;
      if (!/""".*"""/.test(lines[1]!)) while (i < lines.length && !lines[i]!.includes('"""')) i++;
      i++;
    }
  }
  for (; i < lines.length; i++) {
    const line = lines[i]!;
    if (heredocEnd !== undefined) {
      out.push(line);
      if (line.trim() === heredocEnd) heredocEnd = undefined;
      continue;
    }
    const keep = (i === 0 && line.startsWith('#!')) || /^\s*# shellcheck /.test(line) || !(/^\s*#/.test(line) || line.trim() === '');
    if (keep) out.push(line);
    const m = isShell ? /<<-?\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1/.exec(line) : null;
    if (m) heredocEnd = m[2];
  }
  return `${out.join('\n')}\n`;
}

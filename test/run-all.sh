#!/bin/bash
# The whole test suite, as CI runs it: Debian packages the tests need, type check, build,
# then every unit and real-validator test. Ends with a plain "N passed, N failed" line.
set -euo pipefail
cd "$(dirname "$0")/.."

bash test/setup/deps.sh
npx tsc -p tsconfig.json --noEmit
npm run -s build

reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
status=0
# Unit and real-validator tests, then the end-to-end flows (systemd-nspawn, and the qemu build
# under TCG beside them; see the README for the times).
npx vitest run --reporter=default --reporter=json --outputFile.json="$reports/unit.json" || status=$?
npx vitest run --config vitest.e2e.config.ts --reporter=default --reporter=json --outputFile.json="$reports/e2e.json" || status=$?
# shellcheck disable=SC2016  # the JavaScript is meant for node, not the shell
node -e '
  const fs = require("fs");
  let passed = 0, failed = 0, skipped = 0, files = 0;
  for (const f of process.argv.slice(1)) {
    if (!fs.existsSync(f)) { failed++; continue; }
    const r = JSON.parse(fs.readFileSync(f, "utf8"));
    passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests + r.numTodoTests;
    // A file whose beforeAll failed counts its tests as skipped, not failed: say so.
    // (numFailedTestSuites would count describe blocks; testResults holds one entry a file.)
    files += r.testResults.filter((t) => t.status === "failed").length;
  }
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped` + (files ? `; ${files} test files failed` : ""));
' "$reports/unit.json" "$reports/e2e.json" || true
exit "$status"

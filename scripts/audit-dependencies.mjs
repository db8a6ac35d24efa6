#!/usr/bin/env node
// `npm audit --omit=dev` for CI (issue #5, supply chain): fails on any high or critical
// advisory in what Latchkey ships. When the registry's advisory service cannot be asked (some
// build networks let only GET through, and npm audit POSTs), it says so plainly and does not
// pretend the dependencies were checked; LATCHKEY_REQUIRE_AUDIT=1 makes that a failure too.
import { spawnSync } from 'node:child_process';

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', timeout: 120_000 });
let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  report = null;
}

if (report === null || report.metadata?.vulnerabilities === undefined) {
  const reason = report?.message ?? (run.error?.message ?? run.stderr.trim().split('\n').at(-1) ?? 'no answer');
  process.stdout.write(`dependency audit NOT RUN: the advisory service could not be asked (${reason})\n`);
  process.exit(process.env.LATCHKEY_REQUIRE_AUDIT === '1' ? 1 : 0);
}

const { high = 0, critical = 0, moderate = 0, low = 0 } = report.metadata.vulnerabilities;
process.stdout.write(`dependency audit: ${critical} critical, ${high} high, ${moderate} moderate, ${low} low (production dependencies)\n`);
if (high + critical > 0) {
  for (const [name, finding] of Object.entries(report.vulnerabilities ?? {})) {
    if (finding.severity === 'high' || finding.severity === 'critical') process.stdout.write(`  ${finding.severity}: ${name} ${finding.range ?? ''}\n`);
  }
  process.exit(1);
}

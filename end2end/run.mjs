#!/usr/bin/env node
// Entry point of the browser tests (cargo-leptos `end2end-cmd`, run from end2end/).
// cargo-leptos starts the portal but does not wait for it, so this polls /healthz for up to
// 120 s, then runs every tests/*.test.mjs with node's built-in test runner, one file at a
// time (the files share one portal and its emulator state). Exits non-zero on failure.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const base = (process.env.REPLIMAP_URL || 'http://127.0.0.1:3000').replace(/\/+$/, '');
const WAIT_MS = 120_000;

async function waitForPortal() {
  const deadline = Date.now() + WAIT_MS;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.cause?.code || err.message;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  console.error(`portal not reachable at ${base}/healthz after ${WAIT_MS / 1000} s (last: ${last})`);
  process.exit(2);
}

await waitForPortal();
console.log(`portal is up at ${base}`);
const files = readdirSync(join(here, 'tests'))
  .filter((f) => f.endsWith('.test.mjs'))
  .sort()
  .map((f) => join('tests', f));
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...process.argv.slice(2), ...files], {
  cwd: here,
  stdio: 'inherit',
  env: { ...process.env, REPLIMAP_URL: base },
});
const status = result.status ?? 1;
// cargo-leptos 0.3.10 exits 0 from `end-to-end` even when the build or this command fails,
// so scripts/test reads the outcome from this file instead of trusting the exit code.
mkdirSync(join(here, 'artifacts'), { recursive: true });
writeFileSync(join(here, 'artifacts', 'run-result.json'), JSON.stringify({ status, files: files.length, at: new Date().toISOString() }));
process.exit(status);

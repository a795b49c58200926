#!/usr/bin/env node
// Entry point of the browser tests (run from end2end/ by scripts/test, which starts the portal;
// also cargo-leptos's `end2end-cmd`). The portal may still be starting, so this polls /healthz
// for up to 120 s, then runs every tests/*.test.mjs with node's built-in test runner, one file at a
// time (the files share one portal and its emulator state). Exits non-zero on failure.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
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
process.exit(result.status ?? 1);

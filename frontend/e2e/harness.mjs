// Harness for the browser tests: starts the real `ecpts` binary on a free
// port of 127.0.0.1 with a fresh data directory and the demo data, drives
// Debian's chromium through playwright-core (no browser is ever
// downloaded), and reads the invitation e-mails the server writes as .eml
// files. Every wait polls with a deadline; nothing sleeps for an event.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const frontendDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const startTimeoutMs = 90_000;
const readyTimeoutMs = 60_000;
const stopTimeoutMs = 15_000;
const logLines = 400;

/**
 * Polls fn until it returns a truthy value or the deadline passes; returns
 * that value, or throws with `what` and the last error seen.
 */
export async function waitFor(fn, { timeout = 15_000, interval = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let lastErr;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      const cause = lastErr ? `: ${lastErr.message ?? lastErr}` : '';
      throw new Error(`timed out after ${timeout} ms waiting for ${what}${cause}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * Starts `ecpts` (ECPTS_BIN, default ../bin/ecpts from frontend/) and waits
 * until it printed its URL and /readyz answers 200.
 * prepare(bin, dataDir), when given, runs first on the empty data
 * directory (e.g. `ecpts admin create`; then the demo data is not loaded,
 * as the database already has an account).
 * Returns { baseURL, dataDir, logs(), stop() }.
 */
export async function startServer({ prepare } = {}) {
  const bin = process.env.ECPTS_BIN
    ? path.resolve(process.env.ECPTS_BIN)
    : path.resolve(frontendDir, '..', 'bin', 'ecpts');
  if (!existsSync(bin)) {
    throw new Error(`ecpts binary not found at ${bin}: build it first (make build) or set ECPTS_BIN`);
  }
  const dataDir = await mkdtemp(path.join(tmpdir(), 'ecpts-e2e-'));
  if (prepare) {
    try {
      await prepare(bin, dataDir);
    } catch (err) {
      await rm(dataDir, { recursive: true, force: true });
      throw err;
    }
  }
  const lines = [];
  const keep = (prefix) => (chunk) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue;
      lines.push(prefix + line);
      if (lines.length > logLines) lines.shift();
    }
  };

  const child = spawn(bin, [], {
    cwd: dataDir,
    env: {
      ...process.env,
      ECPTS_ADDR: '127.0.0.1:0',
      ECPTS_DATA_DIR: dataDir,
      ECPTS_DEMO: '1',
      // The history test posts 70 messages at once: above the per-user send
      // limit (5/s, bursts of 20), which Go tests cover (server, core).
      ECPTS_SEND_RATE: '500',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve(exited);
    });
  });
  child.stderr.on('data', keep('[stderr] '));

  const logs = () => lines.join('\n');

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) child.kill('SIGKILL');
      }, stopTimeoutMs);
      await exitPromise;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
  };

  let baseURL;
  try {
    baseURL = await new Promise((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(
        () => reject(new Error(`ecpts printed no http://127.0.0.1:PORT within ${startTimeoutMs} ms`)),
        startTimeoutMs,
      );
      child.stdout.on('data', (chunk) => {
        keep('[stdout] ')(chunk);
        if (baseURL) return;
        buf += chunk.toString('utf8');
        const m = buf.match(/http:\/\/127\.0\.0\.1:\d+/);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      });
      exitPromise.then((e) => {
        clearTimeout(timer);
        reject(new Error(`ecpts exited before it was ready (code ${e.code}, signal ${e.signal})`));
      });
    });
    await waitFor(
      async () => {
        if (exited) throw new Error(`ecpts exited (code ${exited.code})`);
        const res = await fetch(`${baseURL}/readyz`);
        return res.status === 200;
      },
      { timeout: readyTimeoutMs, interval: 200, what: `${baseURL}/readyz to answer 200` },
    );
  } catch (err) {
    await stop();
    err.message += `\n--- ecpts output ---\n${logs()}`;
    throw err;
  }
  return { baseURL, dataDir, logs, stop };
}

/** Launches the system chromium headless (CHROMIUM overrides the path). */
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!existsSync(executablePath)) {
    throw new Error(`chromium not found at ${executablePath}: apt-get install -y chromium, or set CHROMIUM`);
  }
  return chromium.launch({
    executablePath,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Undoes quoted-printable soft line breaks and the encoded "=". */
export function decodeQuotedPrintable(s) {
  return s.replace(/=\r?\n/g, '').replace(/=3D/gi, '=');
}

/**
 * Waits for the invitation e-mail sent to `email` under <dataDir>/mail/
 * and returns the token of its /invitation/<token> link (newest mail wins).
 */
export async function invitationToken(dataDir, email, { timeout = 15_000 } = {}) {
  const mailDir = path.join(dataDir, 'mail');
  const wanted = email.toLowerCase();
  return waitFor(
    async () => {
      if (!existsSync(mailDir)) return null;
      const files = (await readdir(mailDir)).filter((f) => f.endsWith('.eml'));
      const found = [];
      for (const f of files) {
        const full = path.join(mailDir, f);
        const body = decodeQuotedPrintable(await readFile(full, 'utf8'));
        if (!body.toLowerCase().includes(wanted)) continue;
        const m = body.match(/https?:\/\/[^\s"'<>]+\/invitation\/([A-Za-z0-9_\-.~%]+)/);
        if (m) found.push({ token: m[1], mtime: (await stat(full)).mtimeMs });
      }
      found.sort((a, b) => b.mtime - a.mtime);
      return found[0]?.token ?? null;
    },
    { timeout, what: `an invitation e-mail to ${email} in ${mailDir}` },
  );
}

/** Completes a 10-digit prefix into a valid RPPS (Luhn check digit). */
export function rppsWithCheckDigit(prefix10) {
  for (let d = 0; d <= 9; d++) {
    const s = prefix10 + d;
    let sum = 0;
    let double = false;
    for (let i = s.length - 1; i >= 0; i--) {
      let n = s.charCodeAt(i) - 48;
      if (double) {
        n *= 2;
        if (n > 9) n -= 9;
      }
      sum += n;
      double = !double;
    }
    if (sum % 10 === 0) return s;
  }
  throw new Error(`no Luhn digit for ${prefix10}`);
}

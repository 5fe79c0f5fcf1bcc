// Harness for the browser tests: starts the real `ecpts` binary on a free
// port of 127.0.0.1 with a fresh data directory and the demo data, drives
// Debian's chromium through playwright-core (no browser is ever
// downloaded), and reads the invitation e-mails the server writes as .eml
// files. Every wait polls with a deadline; nothing sleeps for an event.

import assert from 'node:assert/strict';
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

// ------------------------------------------------------------ pages

/** The password of every demo account (ECPTS_DEMO=1). */
export const demoPassword = 'demo-ecpts';

/** Context options that make a laptop-sized context a phone. */
export const phoneOptions = { isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/**
 * A new browser context on the server, in French, with a default timeout
 * for every wait (timeout, 15 s unless told); other options go to
 * browser.newContext.
 */
export async function newContext(browser, server, { viewport = { width: 1280, height: 800 }, timeout = 15_000, ...opts } = {}) {
  const ctx = await browser.newContext({ baseURL: server.baseURL, locale: 'fr-FR', viewport, ...opts });
  ctx.setDefaultTimeout(timeout);
  return ctx;
}

/** Fills and submits the login form the page shows. */
export async function submitLogin(page, email, pass = demoPassword) {
  await page.getByLabel('Adresse e-mail').fill(email);
  await page.getByLabel('Mot de passe').fill(pass);
  await page.getByRole('button', { name: 'Se connecter' }).click();
}

/** Logs in through /connexion and waits until the app shows its sidebar. */
export async function login(page, email, pass = demoPassword) {
  await page.goto('/connexion');
  await submitLogin(page, email, pass);
  await page.waitForURL((url) => !url.pathname.startsWith('/connexion'));
  await page.locator('#barre-laterale').waitFor({ state: 'attached' });
}

/**
 * A page in a context of its own (contextOptions as for newContext),
 * logged in as email with the demo password.
 */
export async function loggedInPage(browser, server, email, contextOptions) {
  const ctx = await newContext(browser, server, contextOptions);
  const page = await ctx.newPage();
  await login(page, email);
  return page;
}

/** Starts the server and the browser; stopAll undoes both. */
export async function startAll(options) {
  const server = await startServer(options);
  try {
    return { server, browser: await launchBrowser() };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** Closes the browser and stops the server (either may be missing). */
export async function stopAll(browser, server) {
  await browser?.close().catch(() => undefined);
  await server?.stop();
}

/** GET url in the page's session; asserts a 200 and returns the JSON. */
export async function apiJSON(page, url) {
  const res = await page.request.get(url);
  assert.equal(res.status(), 200, `GET ${url} answered ${res.status()}`);
  return res.json();
}

/** The CSRF token of a page's session, for REST calls made by a test. */
export async function csrf(page) {
  return (await apiJSON(page, '/api/v1/me')).csrf_token;
}

/**
 * A JSON API call in the page's session with its CSRF token; asserts a 2xx
 * answer and returns its JSON (null for 204).
 */
export async function apiCall(page, method, url, data) {
  const res = await page.request.fetch(url, { method, data, headers: { 'X-CSRF-Token': await csrf(page) } });
  assert.ok(res.ok(), `${method} ${url} answered ${res.status()}: ${await res.text()}`);
  return res.status() === 204 ? null : res.json();
}

/** A CPTS the page's user sees in GET /api/v1/cpts, by name (asserted). */
export async function cptsNamed(page, name) {
  const { cpts } = await apiJSON(page, '/api/v1/cpts');
  const found = cpts.find((c) => c.name === name);
  assert.ok(found, `the user sees ${name} in GET /api/v1/cpts`);
  return found;
}

/** A channel of a CPTS the page's user sees, by name (asserted). */
export async function channelNamed(page, cptsId, name) {
  const { channels } = await apiJSON(page, '/api/v1/channels');
  const found = channels.find((c) => c.cpts_id === cptsId && c.name === name);
  assert.ok(found, `the user sees the channel ${name} in GET /api/v1/channels`);
  return found;
}

/** The channel's own message list (not the thread panel). */
export const mainList = (page) => page.locator('.chat .main [role="log"]');

/**
 * Opens a channel page and waits for its heading, its message list (and
 * the composer, with composer: true) and the end of "Chargement des
 * messages…".
 */
export async function openChannel(page, channelId, name, { composer = false } = {}) {
  await page.goto(`/canaux/${channelId}`);
  await page.getByRole('heading', { level: 1, name }).waitFor();
  if (composer) await page.getByRole('textbox', { name: `Écrire dans ${name}` }).waitFor();
  await mainList(page).waitFor();
  await waitFor(async () => !(await page.getByText('Chargement des messages…').count()), {
    what: `the messages of ${name} to load`,
  });
}

/**
 * Runs fn; on failure adds to its error a full-page screenshot of each page
 * (pages: one page, or { label: page }), written next to the server's data
 * directory as ecpts-<prefix>-<name>-…png, and the server's last output.
 */
export async function withDiagnostics(server, prefix, name, pages, fn) {
  try {
    await fn();
  } catch (err) {
    const byLabel = pages && typeof pages.screenshot === 'function' ? { page: pages } : (pages ?? {});
    const shots = [];
    for (const [label, page] of Object.entries(byLabel)) {
      const shot = path.join(server.dataDir, '..', `ecpts-${prefix}-${name}-${label}-${Date.now()}.png`);
      await page?.screenshot({ path: shot, fullPage: true }).catch(() => undefined);
      shots.push(`${label}: ${page?.url()} → ${shot}`);
    }
    err.message += `\n(${shots.join('; ')})\n--- ecpts output (tail) ---\n${server.logs().split('\n').slice(-40).join('\n')}`;
    throw err;
  }
}

/**
 * Waits until a canvas shows more than 50 dark pixels: pdf.js has drawn
 * the page's words on the white page.
 */
export function canvasDrawn(canvas, what = 'pdf.js to draw the page') {
  return waitFor(
    () =>
      canvas.evaluate((c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let dark = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] < 100 && d[i + 1] < 100 && d[i + 2] < 100 && d[i + 3] > 200) dark++;
        return dark > 50;
      }),
    { what },
  );
}

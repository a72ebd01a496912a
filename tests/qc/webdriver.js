// A small W3C WebDriver client for the QC page checks (qc_page_check.js,
// qc_3d_check.js): Debian's chromium-driver driven with Node's built-in
// fetch, no npm package and no browser download. Headless Chromium with
// software WebGL (SwiftShader), a fresh profile, nothing that phones home.
'use strict';
const path = require('path');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(fn, what, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

// Opens a session on chromedriver at port; downloads go to `downloads`.
// Returns {js, jsAsync, keys, wd, sid, close}.
async function openSession(port, workDir, downloads) {
  const base = `http://127.0.0.1:${port}`;
  async function wd(method, url, body) {
    const res = await fetch(base + url, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(120000),
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${url}: ${JSON.stringify(json.value).slice(0, 400)}`);
    return json.value;
  }
  const caps = {
    capabilities: {
      alwaysMatch: {
        browserName: 'chrome',
        'goog:loggingPrefs': { browser: 'ALL' },
        'goog:chromeOptions': {
          binary: '/usr/bin/chromium',
          args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--use-gl=angle', '--use-angle=swiftshader',
            '--enable-unsafe-swiftshader', '--disable-quic', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--window-size=1400,1000',
            `--user-data-dir=${path.join(workDir, 'profile')}`],
          prefs: { 'download.default_directory': downloads, 'download.prompt_for_download': false },
        },
      },
    },
  };
  const session = await wd('POST', '/session', caps);
  const S = `/session/${session.sessionId}`;
  const js = (script, args = []) => wd('POST', `${S}/execute/sync`, { script, args });
  const jsAsync = (script, args = []) => wd('POST', `${S}/execute/async`, { script, args });
  const keys = async (...ks) => {
    const actions = [];
    for (const k of ks) actions.push({ type: 'keyDown', value: k }, { type: 'keyUp', value: k });
    await wd('POST', `${S}/actions`, { actions: [{ type: 'key', id: 'kb', actions }] });
  };
  // Headless downloads need an explicit allowance.
  await wd('POST', `${S}/goog/cdp/execute`, {
    cmd: 'Browser.setDownloadBehavior', params: { behavior: 'allow', downloadPath: downloads },
  });
  const open = async (file) => {
    await wd('POST', `${S}/url`, { url: 'file://' + path.resolve(file) });
    await waitFor(() => js('return document.readyState === "complete";'), 'the page to load', 60000);
  };
  return { wd, S, js, jsAsync, keys, open, close: () => wd('DELETE', S).catch(() => {}) };
}

// A checker that prints each result and counts the failures.
function checker() {
  const c = { failures: 0 };
  c.check = (cond, msg) => {
    console.log(`${cond ? 'ok  ' : 'FAIL'} ${msg}`);
    if (!cond) c.failures++;
  };
  return c;
}

module.exports = { sleep, waitFor, openSession, checker };

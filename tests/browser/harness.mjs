// Shared plumbing for the browser tests: a real kiosk-agent on a free loopback port with its own
// state folder, and Debian's chromium driven by playwright-core on a phone-sized viewport.
//
// Environment (set by tests/browser/CMakeLists.txt; defaults suit a run from the repository root):
//   KIOSK_AGENT        path of the kiosk-agent binary          (default build/bin/kiosk-agent)
//   KIOSK_DECODE_PNG   path of the decode_png helper           (default build/tests/browser/decode_png)
//   KIOSK_CHROMIUM     path of the chromium binary             (default /usr/bin/chromium)
//   KIOSK_ARTIFACTS    folder for screenshots a human can look at (default: a temp folder)
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');

export const kioskAgentPath = process.env.KIOSK_AGENT ?? path.join(repo, 'build/bin/kiosk-agent');
export const decodePngPath =
  process.env.KIOSK_DECODE_PNG ?? path.join(repo, 'build/tests/browser/decode_png');
export const renderY4mPath =
  process.env.KIOSK_RENDER_Y4M ?? path.join(repo, 'build/tests/browser/render_y4m');
export const chromiumPath = process.env.KIOSK_CHROMIUM ?? '/usr/bin/chromium';
export const artifactsDir =
  process.env.KIOSK_ARTIFACTS ?? path.join(os.tmpdir(), 'kiosk-edge-browser-screenshots');

// Every wait in these tests is bounded by one of these.
export const AGENT_START_MS = 15_000;
export const AGENT_STOP_MS = 10_000;
export const BROWSER_START_MS = 20_000;
export const ACTION_MS = 10_000;

// A phone: what a shopper scanning a poster holds.
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

const INSTALL_HINT = 'run `bash scripts/install-browser-deps.sh` (as root)';
const BUILD_HINT = 'build it: `cmake -S . -B build && cmake --build build -j2`';

// Checks everything the browser tests need, and throws one message naming each missing piece
// and what to run to get it.
export function checkPrerequisites({ needDecoder = false } = {}) {
  const problems = [];
  if (!isExecutable(chromiumPath)) problems.push(`chromium not found at ${chromiumPath}: ${INSTALL_HINT}`);
  const wanted = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8')).dependencies[
    'playwright-core'
  ];
  const installedManifest = path.join(here, 'node_modules/playwright-core/package.json');
  if (!fs.existsSync(installedManifest)) {
    problems.push(`playwright-core is not installed in ${path.join(here, 'node_modules')}: ${INSTALL_HINT}`);
  } else {
    const installed = JSON.parse(fs.readFileSync(installedManifest, 'utf8')).version;
    if (installed !== wanted) {
      problems.push(`playwright-core ${installed} is installed but package.json pins ${wanted}: ${INSTALL_HINT}`);
    }
  }
  if (!isExecutable(kioskAgentPath)) problems.push(`kiosk-agent not found at ${kioskAgentPath}: ${BUILD_HINT}`);
  if (needDecoder && !isExecutable(decodePngPath)) {
    problems.push(`decode_png not found at ${decodePngPath}: ${BUILD_HINT}`);
  }
  if (problems.length) {
    throw new Error(`browser tests cannot run:\n  - ${problems.join('\n  - ')}`);
  }
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

// Rejects after `ms` with a message naming what was awaited.
// Runs `file` with `args` to completion (ACTION_MS at most); its stdout, or an error with its stderr.
export function runProgram(file, args) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: ACTION_MS }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// Starts kiosk-agent in a fresh temporary folder and waits for its banner. Returns
// { base, kioskUrl, signupUrl, healthUrl, channels: Map(id -> code URL), dir, stderr(), stop() }.
// stop() sends SIGTERM, waits for the exit (SIGKILL after AGENT_STOP_MS) and returns
// { code, signal }; calling it again returns the same result.
export async function startAgent({ configToml = '' } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-browser-'));
  const args = ['--state-dir', path.join(dir, 'state'), '--port', '0'];
  if (configToml) {
    const config = path.join(dir, 'kiosk-agent.toml');
    fs.writeFileSync(config, configToml);
    args.push('--config', config);
  }
  const child = spawn(kioskAgentPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderrText = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderrText += chunk;
  });
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const spawnError = new Promise((_, reject) => child.on('error', reject));
  // Last resort when the test process exits without stop() (an uncaught error): never leave an
  // agent behind. SIGKILL because 'exit' handlers cannot wait.
  const killOnExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  child.on('exit', () => process.off('exit', killOnExit));

  let stopped = null;
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      let timer;
      const result = await Promise.race([
        exited,
        new Promise((resolve) => {
          timer = setTimeout(() => {
            child.kill('SIGKILL');
            resolve(exited.then((r) => ({ ...r, killed: true })));
          }, AGENT_STOP_MS);
        }),
      ]).finally(() => clearTimeout(timer));
      fs.rmSync(dir, { recursive: true, force: true });
      return result;
    })();
    return stopped;
  };

  const banner = { channels: new Map() };
  const lines = readline.createInterface({ input: child.stdout });
  const readBanner = (async () => {
    for await (const line of lines) {
      let m;
      if ((m = line.match(/kiosk screen:\s+(\S+)/))) banner.kioskUrl = m[1];
      else if ((m = line.match(/signup form:\s+(\S+)/))) banner.signupUrl = m[1];
      else if ((m = line.match(/counter:\s+(\S+)(?:.*PIN (\d+))?/))) {
        banner.counterUrl = m[1];
        banner.demoPin = m[2];
      }
      else if ((m = line.match(/channel code:\s+(\S+\/C\/([A-Z0-9-]+)\.\S+)/))) {
        banner.channels.set(m[2], m[1]);
      } else if ((m = line.match(/health:\s+(http:\/\/127\.0\.0\.1:(\d+))\/healthz/))) {
        banner.healthUrl = `${m[1]}/healthz`;
        banner.base = m[1];
        return;
      }
    }
    throw new Error('kiosk-agent closed stdout before printing its health URL');
  })();
  try {
    await withTimeout(
      Promise.race([
        readBanner,
        spawnError,
        exited.then(({ code, signal }) => {
          throw new Error(`kiosk-agent exited (code ${code}, signal ${signal}) before its banner`);
        }),
      ]),
      AGENT_START_MS,
      'kiosk-agent banner',
    );
  } catch (error) {
    await stop();
    throw new Error(`${error.message}\n--- kiosk-agent stderr ---\n${stderrText}`);
  }
  // Keep draining stdout so the agent never blocks on a full pipe.
  child.stdout.resume();
  return { ...banner, dir, stderr: () => stderrText, stop };
}

// Launches chromium with a fresh profile folder. Returns { context, close(inspectProfile) }; the context
// speaks English (Accept-Language: en-US) on a phone-sized viewport unless `contextOptions`
// says otherwise.
// `extraArgs` are added to chromium's command line (e.g. a fake camera).
export async function launchBrowser(contextOptions = {}, extraArgs = []) {
  const { chromium } = await import('playwright-core');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kiosk-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      // Playwright adds --headless and, with chromiumSandbox off (needed as root), --no-sandbox.
      headless: true,
      chromiumSandbox: false,
      timeout: BROWSER_START_MS,
      // Without the background-networking flags chromium keeps trying Google's hosts, which this
      // offline machine refuses.
      args: [
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        ...extraArgs,
      ],
      locale: 'en-US',
      ...PHONE,
      ...contextOptions,
    });
  } catch (error) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  context.setDefaultTimeout(ACTION_MS);
  context.setDefaultNavigationTimeout(ACTION_MS);
  let closed = null;
  // `inspectProfile(folder)`, if given, runs once chromium has closed and written its profile,
  // before the folder is removed; its failure is close()'s.
  const close = (inspectProfile) => {
    closed ??= withTimeout(context.close(), ACTION_MS, 'closing chromium')
      .catch(() => {})
      .then(() => inspectProfile?.(profile))
      .finally(() => fs.rmSync(profile, { recursive: true, force: true }));
    return closed;
  };
  return { context, close };
}

// Saves a screenshot a human can look at: <artifactsDir>/<name>.png. Returns its path.
export async function saveScreenshot(pageOrLocator, name, options = {}) {
  fs.mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `${name}.png`);
  await pageOrLocator.screenshot({ path: file, timeout: ACTION_MS, ...options });
  return file;
}

// Runs the decode_png helper (ZXing-C++) on a PNG file; returns the decoded texts.
export async function decodeQrPng(file) {
  return new Promise((resolve, reject) => {
    execFile(decodePngPath, [file], { timeout: ACTION_MS }, (error, stdout, stderr) => {
      if (error && error.code !== 1) {
        reject(new Error(`decode_png failed on ${file}: ${error.message}\n${stderr}`));
      } else {
        resolve(stdout.split('\n').filter((line) => line.length > 0));
      }
    });
  });
}

// Writes a Y4M video of `text` as a QR code on a phone screen (render_y4m), for chromium's
// --use-file-for-fake-video-capture.
export async function renderQrVideo(text, file) {
  return new Promise((resolve, reject) => {
    execFile(renderY4mPath, [text, file], { timeout: ACTION_MS }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`render_y4m failed: ${error.message}\n${stderr}`));
      else resolve(file);
    });
  });
}

// Runs `body(page)` in a new page; on failure saves FAILED-<name>.png before rethrowing. Fails
// when the page broke its Content-Security-Policy (a style or script the policy refused).
export async function onPage(context, name, body) {
  const page = await context.newPage();
  const refused = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && message.text().includes('Content Security Policy')) {
      refused.push(message.text());
    }
  });
  try {
    const result = await body(page);
    assert.deepEqual(refused, [], `${name}: the browser refused what the page's policy does not allow`);
    return result;
  } catch (error) {
    try {
      const file = await saveScreenshot(page, `FAILED-${name}`, { fullPage: true });
      console.log(`# ${name} failed at ${page.url()}; screenshot: ${file}`);
    } catch {
      // The page may be gone; the original error is what matters.
    }
    throw error;
  } finally {
    await page.close().catch(() => {});
  }
}

// Registers before/after hooks that start a kiosk-agent and a browser for the scenarios in this
// file and always stop both; the returned session holds them once started.
export function useAgentAndBrowser({ needDecoder = false, configToml = '' } = {}) {
  const session = {
    agent: undefined,
    browser: undefined,
    // Closes the browser first (no keep-alive connection then holds the agent's shutdown), then
    // expects the agent to exit 0 on SIGTERM.
    async stopAndExpectCleanExit() {
      await session.browser.close();
      const { code, signal } = await session.agent.stop();
      assert.equal(code, 0, `kiosk-agent should exit 0 on SIGTERM (signal ${signal})\n${session.agent.stderr()}`);
    },
  };
  before(async () => {
    checkPrerequisites({ needDecoder });
    session.agent = await startAgent({ configToml });
    session.browser = await launchBrowser();
  });
  after(async () => {
    await session.browser?.close();
    await session.agent?.stop();
  });
  return session;
}

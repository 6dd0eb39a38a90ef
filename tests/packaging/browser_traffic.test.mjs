// ctest's packaging.browser_traffic: Debian's chromium, started with the very arguments of the
// packaged kiosk-browser.service, shows a loopback page and sends nothing anywhere else: no DNS
// query, no connection but to 127.0.0.1. A run of plain chromium over the same window must try to
// reach Google, which shows that the window is long enough to catch background traffic.
// Usage: node --test browser_traffic.test.mjs (KIOSK_BROWSER_UNIT = the packaged unit file).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const unitFile = process.env.KIOSK_BROWSER_UNIT;
const chromium = '/usr/bin/chromium';
const windowMs = 12000;  // plain chromium calls Google within a few seconds of starting

// The unit's chromium arguments, as systemd would pass them: continuation lines joined, "..."
// quoting, ${VAR} from its Environment= lines, everything after "cage ... --".
function unitChromiumArguments(text, url) {
  const joined = text.replace(/\\\n/g, ' ');
  const env = { KIOSK_URL: url };
  for (const [, assignment] of joined.matchAll(/^Environment=(.*)$/gm)) {
    const unquoted = assignment.replace(/^"(.*)"$/, '$1');
    const eq = unquoted.indexOf('=');
    const name = unquoted.slice(0, eq);
    if (!(name in env)) env[name] = unquoted.slice(eq + 1);
  }
  const execStart = joined.match(/^ExecStart=(.*)$/m)[1];
  const words = [...execStart.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
  const expanded = words.map((w) => w.replace(/\$\{(\w+)\}/g, (_, name) => env[name] ?? ''));
  assert.equal(expanded[0], '/usr/bin/cage');
  const args = expanded.slice(expanded.indexOf('--') + 1);
  assert.equal(args[0], chromium);
  return args.slice(1);
}

// Runs chromium headless for windowMs with `args` (no display: --kiosk and Wayland dropped);
// the events of its net log.
async function runChromium(args, dir) {
  mkdirSync(dir, { recursive: true });
  const netLog = path.join(dir, 'netlog.json');
  const headless = args.filter((a) => a !== '--kiosk' && !a.startsWith('--ozone-platform') &&
                                      !a.startsWith('--user-data-dir'));
  const child = spawn(chromium, ['--headless=new', '--no-sandbox', `--user-data-dir=${dir}/profile`,
                                 `--log-net-log=${netLog}`, ...headless],
                      { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const timer = setTimeout(() => child.kill('SIGTERM'), windowMs);
  await exited;
  clearTimeout(timer);
  // One event per line; a log cut short by the kill still parses line by line.
  const lines = readFileSync(netLog, 'utf8').split('\n');
  const constants = JSON.parse(lines[0].replace(/^\{"constants":/, '').replace(/,$/, ''));
  const names = Object.fromEntries(Object.entries(constants.logEventTypes).map(([k, v]) => [v, k]));
  const events = [];
  for (const line of lines.slice(1)) {
    try {
      const event = JSON.parse(line.replace(/,$/, ''));
      if (event.type !== undefined) events.push({ ...event, name: names[event.type] });
    } catch { /* the closing lines, or a line cut by the kill */ }
  }
  return events;
}

const isLoopback = (text) => /^(\[::1\]|127\.\d+\.\d+\.\d+|localhost)(:\d+)?$/.test(text);
function outsideTraffic(events) {
  const dns = events.filter((e) => e.name === 'HOST_RESOLVER_MANAGER_JOB' && e.params?.host)
                    .map((e) => e.params.host.replace(/^\w+:\/\//, ''))
                    .filter((host) => !isLoopback(host));
  const connects = events.filter((e) => e.name === 'TCP_CONNECT_ATTEMPT' && e.params?.address)
                         .map((e) => e.params.address).filter((address) => !isLoopback(address));
  const urls = events.map((e) => e.params?.url).filter((u) => typeof u === 'string')
                     .filter((u) => /^https?:/.test(u) && !isLoopback(new URL(u).host));
  return { dns, connects, urls: [...new Set(urls)] };
}

async function withKioskPage(run) {
  const served = [];
  const server = http.createServer((request, response) => {
    served.push(request.url);
    response.setHeader('Content-Type', 'text/html');
    response.end('<!doctype html><title>kiosk</title><h1>kiosk screen</h1>');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await run(`http://127.0.0.1:${server.address().port}/kiosk`, served);
  } finally {
    server.close();
  }
}

test('the kiosk screen sends nothing but to the kiosk agent on loopback', async () => {
  assert.ok(unitFile, 'KIOSK_BROWSER_UNIT must name the packaged kiosk-browser.service');
  const dir = mkdtempSync(path.join(tmpdir(), 'kiosk-browser-traffic-'));
  try {
    const plain = await withKioskPage((url) => runChromium([url], path.join(dir, 'plain')));
    const baseline = outsideTraffic(plain);
    assert.ok(baseline.urls.length > 0,
              'plain chromium tried no outside request within the window: the window is too short');

    await withKioskPage(async (url, served) => {
      const args = unitChromiumArguments(readFileSync(unitFile, 'utf8'), url);
      const events = await runChromium(args, path.join(dir, 'unit'));
      assert.ok(served.includes('/kiosk'), `the kiosk page was not loaded (served: ${served})`);
      const { dns, connects, urls } = outsideTraffic(events);
      assert.deepEqual(dns, [], 'DNS queries left the kiosk');
      assert.deepEqual(connects, [], 'connections left the kiosk');
      console.log(`plain chromium tried ${baseline.urls.length} outside URL(s); the unit's ` +
                  `arguments tried ${urls.length}, none resolved or connected`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The web console's map with 50,000 points (issue #9: "the map stays smooth with 50,000
// points"). Starts the real binary on a free loopback port, loads POINTS point entities of five
// types around the demo city's centre, opens the console in Debian's headless Chromium and
// prints: the load time of the entities into the server, the time until the map has fetched
// and drawn them all, and the frame times while it pans and zooms for a few seconds.
// A measurement, not a test: it asserts nothing about time (docs/performance.md has figures).
//   CITYTWIN_BIN=build/release/citytwin node bench/console/map_50k.mjs [POINTS]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { chromium } = await import(pathToFileURL(join(root, 'web/node_modules/playwright-core/index.mjs')).href);
const binary = resolve(process.env.CITYTWIN_BIN ?? 'build/release/citytwin');
const points = Number(process.argv[2] ?? 50_000);
const center = [2.1734, 41.3851];
const types = ['Streetlight', 'ParkingSpot', 'WasteContainer', 'AirQualityObserved', 'TrafficFlowObserved'];

const dataDir = mkdtempSync(join(tmpdir(), 'citytwin-map-bench-'));
const portFile = join(dataDir, 'port');
const server = spawn(binary, ['serve', '--listen', '127.0.0.1:0', '--mqtt-listen', 'off', '--data', join(dataDir, 'db'),
  '--port-file', portFile, '--auth', 'off', '--log-level', 'error'], { stdio: ['ignore', 'inherit', 'inherit'] });
let base;
for (let i = 0; i < 1000 && !base; i++) {
  if (existsSync(portFile) && readFileSync(portFile, 'utf8').trim()) {
    const url = `http://127.0.0.1:${readFileSync(portFile, 'utf8').trim()}`;
    try {
      if ((await fetch(url + '/health')).ok) base = url;
    } catch { /* not yet */ }
  }
  if (!base) await new Promise((done) => setTimeout(done, 20));
}
if (!base) throw new Error('citytwin did not start');

// A deterministic spread over about 12 km (a small linear congruential generator).
let seed = 20261204;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const started = performance.now();
for (let offset = 0; offset < points; offset += 1000) {
  const batch = [];
  for (let i = offset; i < Math.min(points, offset + 1000); i++) {
    batch.push({
      id: `urn:ngsi-ld:Bench:${i}`,
      type: types[i % types.length],
      location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [
        +(center[0] + (random() - 0.5) * 0.15).toFixed(6), +(center[1] + (random() - 0.5) * 0.11).toFixed(6)] } },
    });
  }
  const response = await fetch(base + '/ngsi-ld/v1/entityOperations/upsert', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(batch) });
  if (![201, 204].includes(response.status)) throw new Error(`upsert: ${response.status} ${await response.text()}`);
}
const loadSeconds = (performance.now() - started) / 1000;

const browser = await chromium.launch({
  executablePath: process.env.CITYTWIN_CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    return url.hostname === '127.0.0.1' ? route.continue() : route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  const opened = performance.now();
  await page.goto(base + '/');
  await page.waitForSelector('#map[data-state="ready"]', { timeout: 300_000 });
  const readySeconds = (performance.now() - opened) / 1000;
  await page.waitForFunction(() => window.citytwinConsole.map.loaded(), null, { timeout: 300_000 });
  const drawnSeconds = (performance.now() - opened) / 1000;
  const drawn = Number(await page.getAttribute('#map', 'data-entities'));

  // Pan and zoom for about 6 s while counting frames.
  const frames = await page.evaluate(async () => {
    const map = window.citytwinConsole.map;
    const times = [];
    let running = true;
    const tick = (now) => {
      times.push(now);
      if (running) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    const move = (options) => new Promise((done) => {
      map.once('moveend', done);
      map.easeTo({ ...options, duration: 1500 });
    });
    const start = map.getCenter();
    const zoom = map.getZoom();
    await move({ zoom: zoom + 2 });
    await move({ center: [start.lng + 0.02, start.lat + 0.01] });
    await move({ zoom: zoom + 4 });
    await move({ center: start, zoom });
    running = false;
    const deltas = times.slice(1).map((t, i) => t - times[i]);
    return { count: times.length, seconds: (times.at(-1) - times[0]) / 1000, deltas };
  });
  const sorted = frames.deltas.slice().sort((a, b) => a - b);
  const quantile = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  console.log(`points loaded into citytwin: ${points} in ${loadSeconds.toFixed(1)} s`);
  console.log(`map: ${drawn} entities fetched and on the map ${readySeconds.toFixed(1)} s after opening the page; drawn ${drawnSeconds.toFixed(1)} s`);
  console.log(`pan/zoom: ${frames.count} frames in ${frames.seconds.toFixed(1)} s = ${(frames.count / frames.seconds).toFixed(1)} fps;` +
    ` frame time median ${quantile(0.5).toFixed(1)} ms, p95 ${quantile(0.95).toFixed(1)} ms, max ${sorted.at(-1).toFixed(1)} ms;` +
    ` frames over 50 ms: ${sorted.filter((d) => d > 50).length}`);
} finally {
  await browser.close();
  server.kill('SIGTERM');
  await new Promise((done) => server.once('exit', done));
  rmSync(dataDir, { recursive: true, force: true });
}

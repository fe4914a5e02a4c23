// End-to-end test of the web console (docs/console.md): starts the real citytwin binary on a
// free loopback port with part of the demo city (scripts/demo_city.py), opens the console in
// Debian's headless Chromium through playwright-core, opens the map, clicks an entity, opens
// its history chart, switches to Arabic (dir="rtl") and runs axe-core on every view. The
// browser may reach 127.0.0.1 only: every other request is aborted and fails the test.
//   CITYTWIN_BIN=build/release/citytwin node tests/e2e/console.test.mjs
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const webModules = join(root, 'web/node_modules');
const { chromium } = await import(pathToFileURL(join(webModules, 'playwright-core/index.mjs')).href);
const axeSource = readFileSync(join(webModules, 'axe-core/axe.min.js'), 'utf8');

const binary = resolve(process.env.CITYTWIN_BIN ?? 'build/release/citytwin');
const chromiumPath = process.env.CITYTWIN_CHROMIUM || '/usr/bin/chromium';
const artifacts = resolve(process.env.CITYTWIN_E2E_ARTIFACTS ?? 'build/e2e-artifacts');
mkdirSync(artifacts, { recursive: true });

const STATION = 'urn:ngsi-ld:AirQualityObserved:demo:001';
const servers = [];
let dataDir;
let base;
let browser;
let page;
const foreignRequests = [];
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

// Starts citytwin in a new data directory; returns its base URL. `auth`: API keys required.
async function startServer(directory, auth = 'off', extra = []) {
  const portFile = join(directory, 'port');
  const server = spawn(binary, ['serve', '--listen', '127.0.0.1:0', '--mqtt-listen', 'off', '--data', join(directory, 'db'),
    '--port-file', portFile, '--auth', auth, '--log-level', 'warn',
    // Subscriptions made here point at loopback, which the server refuses by default (SSRF
    // protection, docs/security.md).
    '--outbound-allow', '127.0.0.0/8', '--outbound-allow', '::1', ...extra], { stdio: ['ignore', 'inherit', 'inherit'] });
  servers.push(server);
  for (let i = 0; i < 1000; i++) {
    if (server.exitCode !== null) throw new Error(`citytwin exited with ${server.exitCode}`);
    if (existsSync(portFile)) {
      const port = readFileSync(portFile, 'utf8').trim();
      if (port) {
        try {
          if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return `http://127.0.0.1:${port}`;
        } catch { /* not listening yet */ }
      }
    }
    await sleep(20);
  }
  throw new Error('citytwin did not become ready');
}

async function post(path, body) {
  const response = await fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  assert.ok([201, 204].includes(response.status), `${path}: ${response.status} ${await response.text()}`);
}

// The demo city's entities, the history of two air-quality stations only (speed), and one
// line and one polygon so the map draws shapes too.
async function loadCity() {
  const script = `import sys, json; sys.path.insert(0, 'scripts'); import demo_city as d
e = d.demo_entities(); h = [x for x in d.demo_history(e) if x['type'] == 'AirQualityObserved'][:2]
print(json.dumps({'entities': e, 'history': h}))`;
  const { entities, history } = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { cwd: root, maxBuffer: 64 << 20 }));
  entities.push(
    { id: 'urn:ngsi-ld:Road:e2e:1', type: 'Road', name: { type: 'Property', value: 'Harbour road' },
      location: { type: 'GeoProperty', value: { type: 'LineString', coordinates: [[2.16, 41.38], [2.17, 41.39], [2.185, 41.392]] } } },
    { id: 'urn:ngsi-ld:Park:e2e:1', type: 'Park', name: { type: 'Property', value: 'Central park' },
      location: { type: 'GeoProperty', value: { type: 'Polygon', coordinates: [[[2.175, 41.375], [2.185, 41.375], [2.185, 41.382], [2.175, 41.382], [2.175, 41.375]]] } } },
  );
  for (let i = 0; i < entities.length; i += 100) await post('/ngsi-ld/v1/entityOperations/upsert', entities.slice(i, i + 100));
  for (const item of history) await post('/ngsi-ld/v1/temporal/entities', item);
  return entities;
}

async function axeCheck(name) {
  // Evaluated through the DevTools protocol: the console's Content-Security-Policy (no inline
  // scripts) stays in force for the page itself.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const describe = serious.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')}`);
  assert.deepEqual(describe, [], `axe on ${name}`);
  return result.violations.length;
}

async function shot(name) {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

// Zooms past the clustering limit onto the station, then clicks where MapLibre draws it.
async function clickStation() {
  const station = entities.find((e) => e.id === STATION);
  const point = await page.evaluate(async (coordinates) => {
    const map = window.citytwinConsole.map;
    map.jumpTo({ center: coordinates, zoom: 17 });
    await new Promise((done) => map.once('idle', done));
    const { x, y } = map.project(coordinates);
    const box = map.getCanvas().getBoundingClientRect();
    return { x: box.left + x, y: box.top + y };
  }, station.location.value.coordinates);
  await page.mouse.click(point.x, point.y);
}

let entities;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'citytwin-e2e-'));
  mkdirSync(join(dataDir, 'open'));
  // Temporal answers of at most 100 instances: a week of hourly values comes back partial (206).
  base = await startServer(join(dataDir, 'open'), 'off', ['--temporal-page-size', '100']);
  entities = await loadCity();
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // WebGL without a GPU: ANGLE on SwiftShader (software), which MapLibre needs.
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 860 } });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    foreignRequests.push(url.href);
    return route.abort('blockedbyclient');
  });
  page = await context.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
});

after(async () => {
  await browser?.close();
  for (const server of servers) {
    if (server.exitCode !== null) continue;
    server.kill('SIGTERM');
    await new Promise((done) => server.once('exit', done));
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('the console shell is served at / and never shadows the API', async () => {
  const shell = await fetch(base + '/', { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(shell.status, 200);
  assert.match(shell.headers.get('content-type'), /^text\/html/);
  assert.match(await shell.text(), /<div id="auth"/);
  const fallback = await fetch(base + '/entities/' + encodeURIComponent(STATION));
  assert.equal(fallback.status, 200);
  assert.match(fallback.headers.get('content-type'), /^text\/html/);
  const health = await fetch(base + '/health');
  assert.equal((await health.json()).status, 'ok');
  const api = await fetch(base + '/ngsi-ld/v1/entities/' + encodeURIComponent(STATION));
  assert.equal((await api.json()).id, STATION);
  assert.equal((await fetch(base + '/no-such-page')).status, 404);
  const etag = shell.headers.get('etag');
  assert.ok(etag);
  assert.equal((await fetch(base + '/', { headers: { 'If-None-Match': etag } })).status, 304);
});

test('map: every located entity, click one for its card', async () => {
  await page.goto(base + '/');
  await page.waitForSelector('#map[data-state="ready"]', { timeout: 60_000 });
  const drawn = Number(await page.getAttribute('#map', 'data-entities'));
  assert.equal(drawn, entities.filter((e) => e.location).length);
  await page.waitForFunction(() => window.citytwinConsole.map.loaded());
  await shot('map');

  await clickStation();
  const card = await page.waitForSelector(`.card[data-entity-id="${STATION}"]`, { timeout: 20_000 });
  assert.match(await card.textContent(), /pm25/);
  await shot('map-card');
  await axeCheck('map with card');

  await page.click('.card a.button');
  await page.waitForURL(`**/entities/${encodeURIComponent(STATION)}`);
});

test('keyboard: skip link first, entities in view open their card with Enter', async () => {
  await page.goto(base + '/');
  await page.waitForSelector('#map[data-state="ready"]', { timeout: 60_000 });
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
  // The side panel lists what the map shows, as buttons: the map's entities without a mouse.
  const first = await page.waitForSelector('.in-view button', { timeout: 20_000 });
  const id = await first.getAttribute('data-entity-id');
  await first.focus();
  await page.keyboard.press('Enter');
  await page.waitForSelector(`.card[data-entity-id="${id}"]`);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'card-title');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');  // the card's close button
  await page.waitForSelector('.card', { state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement.dataset.entityId), id);
});

test('map to entities: list the entities of the area the map shows', async () => {
  await page.goto(base + '/');
  await page.waitForSelector('#map[data-state="ready"]', { timeout: 60_000 });
  await page.evaluate(async () => {
    const map = window.citytwinConsole.map;
    map.jumpTo({ center: [2.1734, 41.3851], zoom: 14 });
    await new Promise((done) => map.once('idle', done));
  });
  await page.click('#list-area');
  await page.waitForURL(/\/entities\?bbox=/);
  const [west, south, east, north] = new URL(page.url()).searchParams.get('bbox').split(',').map(Number);
  const inside = ([x, y]) => x > west && x < east && y > south && y < north;
  const flatten = (c) => (typeof c[0] === 'number' ? [c] : c.flatMap(flatten));
  const expected = entities.filter((e) => e.location && flatten(e.location.value.coordinates).every(inside)).length;
  assert.ok(expected > 0 && expected < entities.length, `entities in the box: ${expected}`);
  await page.waitForSelector('.results caption');
  assert.equal(await page.textContent('.results caption'), `Entities found: ${expected}`);
  await axeCheck('entities in an area');
  await page.click('.area-filter button');
  await page.waitForURL((url) => !url.search.includes('bbox'));
  await page.waitForSelector('.results caption');
  assert.equal(await page.textContent('.results caption'), `Entities found: ${entities.length}`);
});

test('map to entities: draw a box on the map and list the entities inside it', async () => {
  await page.goto(base + '/');
  await page.waitForSelector('#map[data-state="ready"]', { timeout: 60_000 });
  await page.evaluate(async () => {
    const map = window.citytwinConsole.map;
    map.jumpTo({ center: [2.1734, 41.3851], zoom: 13 });
    await new Promise((done) => map.once('idle', done));
  });
  await page.click('#draw-area');
  assert.equal(await page.getAttribute('#draw-area', 'aria-pressed'), 'true');
  const frame = await page.locator('#map').boundingBox();
  // A box in the middle of the map, a third of its width and height.
  const [x1, y1] = [frame.x + frame.width / 3, frame.y + frame.height / 3];
  const [x2, y2] = [frame.x + (2 * frame.width) / 3, frame.y + (2 * frame.height) / 3];
  const drawn = await page.evaluate(([a, b, c, d]) => {
    const map = window.citytwinConsole.map;
    const rect = document.getElementById('map').getBoundingClientRect();
    const p = map.unproject([a - rect.left, b - rect.top]);
    const q = map.unproject([c - rect.left, d - rect.top]);
    return [Math.min(p.lng, q.lng), Math.min(p.lat, q.lat), Math.max(p.lng, q.lng), Math.max(p.lat, q.lat)];
  }, [x1, y1, x2, y2]);
  await page.mouse.move(x1, y1);
  await page.mouse.down();
  await page.mouse.move((x1 + x2) / 2, (y1 + y2) / 2, { steps: 4 });
  await page.waitForSelector('.draw-box:not([hidden])');
  await page.mouse.move(x2, y2, { steps: 4 });
  await page.mouse.up();
  await page.waitForURL(/\/entities\?bbox=/);
  const box = new URL(page.url()).searchParams.get('bbox').split(',').map(Number);
  box.forEach((value, i) => assert.ok(Math.abs(value - drawn[i]) < 1e-4, `bbox ${box} vs drawn ${drawn}`));
  const [west, south, east, north] = box;
  const inside = ([x, y]) => x > west && x < east && y > south && y < north;
  const flatten = (c) => (typeof c[0] === 'number' ? [c] : c.flatMap(flatten));
  const expected = entities.filter((e) => e.location && flatten(e.location.value.coordinates).every(inside)).length;
  assert.ok(expected > 0 && expected < entities.length, `entities in the drawn box: ${expected}`);
  await page.waitForSelector('.results caption');
  assert.equal(await page.textContent('.results caption'), `Entities found: ${expected}`);
  await shot('entities-drawn-area');
});

test('entity: every attribute and its history chart, raw and aggregated', async () => {
  // Opened by its URL: the server's single-page-app fallback serves the shell there.
  await page.goto(`${base}/entities/${encodeURIComponent(STATION)}`);
  await page.waitForSelector('figure.chart[data-state="ready"]', { timeout: 30_000 });
  // A week of hourly values (demo_city.py), the first numeric attribute in the list, cut by
  // the server at 100 instances (206 Partial Content): the chart says so.
  assert.equal(Number(await page.getAttribute('figure.chart', 'data-points')), 100);
  assert.match(await page.textContent('figure.chart [role="note"]'), /^Long history: the server sent part of the range only \(\d{4}-/);
  assert.ok(await page.isVisible('tr[data-attribute="pm25"]'));
  assert.match(await page.textContent('tr[data-attribute="pm25"]'), /GQ/);
  await page.selectOption('#history-attribute', 'pm25');
  await page.selectOption('#history-aggregation', 'avg');
  await page.selectOption('#history-period', 'P1D');
  await page.click('.history-form button[type="submit"]');
  await page.waitForSelector('figure.chart[data-state="ready"]');
  const days = Number(await page.getAttribute('figure.chart', 'data-points'));
  assert.ok(days >= 7 && days <= 9, `daily averages over a week: ${days}`);
  assert.equal(await page.$('figure.chart [role="note"]'), null);
  await shot('entity-chart');
  await axeCheck('entity detail');
});

test('entities: filter by type and q', async () => {
  await page.goto(base + '/entities?type=WasteContainer&q=fillingLevel>=0.9');
  await page.waitForSelector('.results table');
  const expected = entities.filter((e) => e.type === 'WasteContainer' && e.fillingLevel.value >= 0.9).length;
  assert.equal(await page.textContent('.results caption'), `Entities found: ${expected}`);
  await shot('entities');
  await axeCheck('entities list');

  // A relationship is a link to the entity it names.
  const spot = entities.find((e) => e.type === 'ParkingSpot');
  await page.goto(`${base}/entities/${encodeURIComponent(spot.id)}`);
  const link = await page.waitForSelector('tr[data-attribute="refParkingSite"] a');
  assert.equal(await link.getAttribute('href'), `/entities/${encodeURIComponent(spot.refParkingSite.object)}`);
});

async function patchAttrs(id, attrs) {
  const response = await fetch(`${base}/ngsi-ld/v1/entities/${encodeURIComponent(id)}/attrs`, {
    method: 'PATCH', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(attrs) });
  assert.equal(response.status, 204, await response.text());
}

test('live: entity page, entity table and map card update in place without reloading', async () => {
  await page.goto(`${base}/entities/${encodeURIComponent(STATION)}`);
  await page.waitForSelector('tr[data-attribute="pm25"]');
  await page.waitForSelector('#live-state[data-state="on"]', { timeout: 20_000 });
  await page.evaluate(() => { window.notReloaded = true; });
  await patchAttrs(STATION, { pm25: { type: 'Property', value: 777, unitCode: 'GQ' } });
  await page.waitForFunction(() => document.querySelector('tr[data-attribute="pm25"] td.value')?.textContent === '777',
    null, { timeout: 20_000 });
  // A new attribute appears as a new row.
  await patchAttrs(STATION, { pm25: { type: 'Property', value: 778 } });
  const added = await fetch(`${base}/ngsi-ld/v1/entities/${encodeURIComponent(STATION)}/attrs`, { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ liveProbe: { type: 'Property', value: 'seen' } }) });
  assert.equal(added.status, 204);
  await page.waitForSelector('tr[data-attribute="liveProbe"]', { timeout: 20_000 });
  assert.equal(await page.textContent('tr[data-attribute="pm25"] td.value'), '778');
  assert.equal(await page.evaluate(() => window.notReloaded), true);
  await shot('live-entity');
  await axeCheck('entity with live updates');

  // The entity table: the row's attribute count and last change follow the entity.
  await page.goto(`${base}/entities?type=AirQualityObserved`);
  const row = `tr[data-entity-id="${STATION}"]`;
  await page.waitForSelector(row);
  await page.waitForSelector('#live-state[data-state="on"]', { timeout: 20_000 });
  const before = Number(await page.textContent(`${row} td.number`));
  await page.evaluate(() => { window.notReloaded = true; });
  await fetch(`${base}/ngsi-ld/v1/entities/${encodeURIComponent(STATION)}/attrs`, { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ secondProbe: { type: 'Property', value: 1 } }) });
  await page.waitForFunction(([selector, count]) => document.querySelector(`${selector} td.number`)?.textContent === String(count),
    [row, before + 1], { timeout: 20_000 });
  assert.equal(await page.evaluate(() => window.notReloaded), true);

  // The map: the open card shows the new value, and the marker moves.
  await page.goto(base + '/');
  await page.waitForSelector('#map[data-state="ready"]', { timeout: 60_000 });
  await page.waitForSelector('#live-state[data-state="on"]', { timeout: 20_000 });
  await clickStation();
  await page.waitForSelector(`.card[data-entity-id="${STATION}"]`, { timeout: 20_000 });
  await patchAttrs(STATION, { pm25: { type: 'Property', value: 779, unitCode: 'GQ' } });
  await page.waitForSelector('.card dd:has-text("779 GQ")', { timeout: 20_000 });
  await patchAttrs(STATION, { location: { type: 'GeoProperty', value: { type: 'Point', coordinates: [2.2, 41.45] } } });
  await page.waitForFunction(async (station) => {
    const data = await window.citytwinConsole.map.getSource('points').getData();
    const feature = data.features.find((f) => f.properties.id === station);
    return feature && feature.geometry.coordinates[0] === 2.2 && feature.geometry.coordinates[1] === 41.45;
  }, STATION, { timeout: 20_000 });
  await shot('live-map-card');
});

test('devices: provision a group and a device, its first measurement appears live', async () => {
  await page.goto(base + '/devices');
  await page.waitForSelector('#device-list p:has-text("No device provisioned yet.")');
  await page.fill('#group-apikey', 'e2ekey');
  await page.selectOption('#group-resource', '/iot/json');
  await page.fill('#group-type', 'E2ESensor');
  await page.fill('#group-attributes', 't temperature Number\nb batteryLevel Number');
  await page.fill('#group-period', '3600');
  await page.click('form[aria-labelledby="new-group-title"] button[type="submit"]');
  await page.waitForSelector('#group-list tr[data-apikey="e2ekey"]');
  await page.waitForSelector('#device-apikey option[value="e2ekey"]', { state: 'attached' });
  await page.fill('#device-id', 'e2e-dev-1');
  await page.selectOption('#device-apikey', 'e2ekey');
  await page.click('form[aria-labelledby="new-device-title"] button[type="submit"]');
  const row = 'tr[data-device-id="e2e-dev-1"]';
  await page.waitForSelector(row);
  assert.equal((await page.textContent(`${row} td.measurement`)).trim(), '');
  await page.waitForSelector('#live-state[data-state="on"]', { timeout: 20_000 });
  await page.evaluate(() => { window.notReloaded = true; });
  // The device's first measure, as a device sends it (IoT Agent JSON).
  const measure = await fetch(`${base}/iot/json?k=e2ekey&i=e2e-dev-1`, { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ t: 23.5, b: 0.9 }) });
  assert.equal(measure.status, 200, await measure.text());
  await page.waitForSelector(`${row} td.measurement:has-text("temperature 23.5")`, { timeout: 20_000 });
  await page.waitForFunction((selector) => document.querySelector(selector)?.cells[4].dataset.state === 'ok', row, { timeout: 20_000 });
  assert.equal((await page.textContent(`${row} td:nth-of-type(5)`)).trim(), '0.9');
  assert.notEqual((await page.textContent(`${row} td:nth-of-type(3)`)).trim(), '');
  assert.equal(await page.evaluate(() => window.notReloaded), true);
  await shot('devices');
  await axeCheck('devices');
});

test('devices: send a command and see its status and result live', async () => {
  await page.goto(base + '/devices');
  await page.waitForSelector('#device-apikey option[value="e2ekey"]', { state: 'attached' });
  await page.fill('#device-id', 'e2e-lamp');
  await page.selectOption('#device-apikey', 'e2ekey');
  await page.selectOption('#device-transport', 'HTTP');
  await page.fill('#device-commands', 'switch');
  await page.click('form[aria-labelledby="new-device-title"] button[type="submit"]');
  const row = 'tr[data-device-id="e2e-lamp"]';
  await page.waitForSelector(`${row} form.command`);
  await page.waitForSelector('#live-state[data-state="on"]', { timeout: 20_000 });
  await page.fill(`${row} form.command input`, 'on');
  await page.click(`${row} form.command button[type="submit"]`);
  await page.waitForSelector(`${row} output[data-status="PENDING"]`, { timeout: 20_000 });
  // The device polls (no MQTT, no endpoint: docs/ingest.md "HTTP polling"), then reports.
  const polled = await fetch(`${base}/iot/json?k=e2ekey&i=e2e-lamp&getCmd=1`);
  assert.equal(polled.status, 200, await polled.clone().text());
  assert.deepEqual(await polled.json(), { switch: 'on' });
  await page.waitForSelector(`${row} output[data-status="DELIVERED"]`, { timeout: 20_000 });
  const result = await fetch(`${base}/iot/json/commands?k=e2ekey&i=e2e-lamp`, { method: 'POST',
    headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ switch: 'switched on' }) });
  assert.equal(result.status, 200, await result.text());
  await page.waitForSelector(`${row} output[data-status="OK"]:has-text("switched on")`, { timeout: 20_000 });
  await shot('device-command');
  await axeCheck('device-command');
});

// KPI inputs of a small city (docs/kpi.md): two years of the household variables, so one KPI
// has a value, a trend and, with a target, a status.
async function loadKpis() {
  const csv = ['city,period,variable,value,unit,source',
    'e2e,2024,households_total,1000,count,e2e survey', 'e2e,2024,households_with_internet,800,count,e2e survey',
    'e2e,2025,households_total,1000,count,e2e survey', 'e2e,2025,households_with_internet,900,count,e2e survey'].join('\n');
  const imported = await fetch(base + '/kpi/v1/inputs', { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: csv });
  assert.equal(imported.status, 201, await imported.text());
  const target = await fetch(base + '/kpi/v1/targets/EC.ICT.ICT.1C', { method: 'PUT', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ value: 95, year: 2030, city: 'e2e' }) });
  assert.ok([200, 201, 204].includes(target.status), await target.text());
}

test('KPIs: overview by dimension, table with trends, SDGs, completeness, report with progress', async () => {
  await loadKpis();
  await page.goto(base + '/kpis');
  await page.waitForSelector('.kpi-body[data-state="ready"]', { timeout: 30_000 });
  assert.equal(await page.inputValue('#kpi-city'), 'e2e');
  assert.equal(await page.inputValue('#kpi-period'), '2025');
  const expected = await (await fetch(base + '/kpi/v1/assessment?city=e2e&period=2025')).json();
  for (const summary of expected.dimensions) {
    const card = await page.textContent(`.dimension-card[data-dimension="${summary.dimension}"]`);
    assert.match(card, new RegExp(`${summary.withValue} of ${summary.kpis} KPIs with a value`));
  }
  const row = 'tr[data-code="EC.ICT.ICT.1C"]';
  assert.match(await page.textContent(`${row} td:nth-of-type(2)`), /^90$/);
  assert.equal(await page.getAttribute(`${row} td[data-status]`, 'data-status'), 'onTrack');
  assert.match(await page.textContent(`${row} td.trend`), /improving \(\+12\.5 %\)/);
  assert.ok(await page.$(`${row} svg.sparkline polyline`));
  await page.selectOption('#kpi-dimension', 'Environment');
  assert.equal(await page.$(row), null);
  assert.ok((await page.$$('table.kpis tbody tr[data-dimension="Environment"]')).length > 0);
  assert.ok(await page.$('table.sdg tr[data-goal="17"]'));
  assert.match(await page.textContent('#kpi-completeness'), /Core KPIs with a value: 1 of \d+/);
  assert.equal(await page.textContent('#kpi-completeness summary'),
    `KPIs without a value: ${expected.summary.kpis - expected.summary.withValue}`);
  assert.equal(await page.textContent('tr[data-code="EN.EN.AQ.1C"] td:nth-of-type(2)'), '—');
  await shot('kpis');
  await axeCheck('KPIs');

  await page.selectOption('#report-format', 'html');
  await page.click('#report-button');
  const link = await page.waitForSelector('#report-link', { timeout: 60_000 });
  assert.equal(await link.getAttribute('download'), 'kpi-report-e2e-2025.html');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#report-link')]);
  const report = readFileSync(await download.path(), 'utf8');
  assert.match(report, /^<!DOCTYPE html>/i);
  assert.match(report, /EC\.ICT\.ICT\.1C/);
  assert.equal(await page.isHidden('#report-progress'), true);
  await shot('kpi-report');
});

test('import: entities and KPI inputs from CSV, progress and row-level errors', async () => {
  await page.goto(base + '/import');
  await page.selectOption('#import-kind', 'entities');
  // 2,500 rows: sent in two parts; line 2,300 (in the second part) is bad.
  const lines = ['id,type,level[MTR],longitude,latitude'];
  for (let i = 2; i <= 2501; i++) {
    lines.push(i === 2300 ? 'not-a-uri,Tank,1,2.1,41.3' : `urn:ngsi-ld:Tank:csv${i},Tank,${i},2.1,41.3`);
  }
  await page.setInputFiles('#import-file', { name: 'tanks.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n') + '\n') });
  await page.click('#import-button');
  await page.waitForSelector('#import-summary', { timeout: 60_000 });
  assert.equal(await page.textContent('#import-summary'), '2,499 of 2,500 rows written; 1 rejected.');
  assert.deepEqual(await page.$$eval('.import-errors tbody tr', (rows) => rows.map((r) => r.dataset.row)), ['2300']);
  assert.equal(await page.evaluate(() => document.querySelector('#import-progress').value), 2500);
  const tank = await (await fetch(`${base}/ngsi-ld/v1/entities/urn:ngsi-ld:Tank:csv2501`)).json();
  assert.deepEqual(tank.level, { type: 'Property', value: 2501, unitCode: 'MTR' });
  await shot('import-entities');
  await axeCheck('import with errors');

  // KPI inputs: the whole file or nothing; a bad variable refuses it with its line.
  await page.selectOption('#import-kind', 'kpi');
  const kpiFile = (rows) => ({ name: 'inputs.csv', mimeType: 'text/csv', buffer: Buffer.from(['city,period,variable,value,unit,source', ...rows].join('\n')) });
  await page.setInputFiles('#import-file', kpiFile(['csvtown,2025,households_total,500,count,e2e', 'csvtown,2025,no_such_variable,1,count,e2e']));
  await page.click('#import-button');
  await page.waitForSelector('#import-summary:has-text("Nothing imported")');
  assert.deepEqual(await page.$$eval('.import-errors tbody tr', (rows) => rows.map((r) => r.dataset.row)), ['3']);
  assert.deepEqual(await (await fetch(`${base}/kpi/v1/inputs?city=csvtown`)).json(), []);
  await page.setInputFiles('#import-file', kpiFile(['csvtown,2025,households_total,500,count,e2e', 'csvtown,2025,households_with_internet,400,count,e2e']));
  await page.click('#import-button');
  await page.waitForSelector('#import-summary:has-text("Imported 2 rows")');
  assert.equal((await (await fetch(`${base}/kpi/v1/inputs?city=csvtown`)).json()).length, 2);
  await shot('import-kpi');
});

test('subscriptions: create one, pause it, delete it', async () => {
  await page.goto(base + '/subscriptions');
  await page.waitForSelector('.results p:has-text("No subscription yet.")');
  await page.fill('#sub-name', 'e2e watch');
  await page.waitForSelector('#sub-type option[value="WasteContainer"]', { state: 'attached' });
  await page.selectOption('#sub-type', 'WasteContainer');
  await page.fill('#sub-watched', 'fillingLevel');
  // Never notified: nothing is written after it is made.
  await page.fill('#sub-endpoint', 'http://127.0.0.1:9/notify');
  await page.click('form[aria-labelledby="create-title"] button[type="submit"]');
  const row = 'tr:has(th:text-is("e2e watch"))';
  await page.waitForSelector(`${row} td[data-status="active"]`);
  assert.match(await page.textContent(row), /WasteContainer.*fillingLevel/);
  const listed = await (await fetch(base + '/ngsi-ld/v1/subscriptions')).json();
  assert.equal(listed.length, 1);
  assert.deepEqual(listed[0].watchedAttributes, ['fillingLevel']);
  await axeCheck('subscriptions');
  await page.click(`${row} button:text-is("Pause")`);
  await page.waitForSelector(`${row} td[data-status="paused"]`);
  await shot('subscriptions');
  page.once('dialog', (dialog) => dialog.accept());
  await page.click(`${row} button:text-is("Delete")`);
  await page.waitForSelector('.results p:has-text("No subscription yet.")');
  assert.deepEqual(await (await fetch(base + '/ngsi-ld/v1/subscriptions')).json(), []);
});

// A 256×256 PNG of one colour: what a raster tile server sends.
function pngTile() {
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(256, 0);
  header.writeUInt32BE(256, 4);
  header.set([8, 2, 0, 0, 0], 8);  // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(256 * 3, 0xc8)]);
  const pixels = Buffer.concat(Array.from({ length: 256 }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header), chunk('IDAT', deflateSync(pixels)), chunk('IEND', Buffer.alloc(0))]);
}

test('settings: a tile URL adds a raster basemap from that server', async () => {
  const tile = pngTile();
  const requested = [];
  const tiles = createServer((request, response) => {
    requested.push(request.url);
    response.writeHead(200, { 'Content-Type': 'image/png', 'Access-Control-Allow-Origin': '*' });
    response.end(tile);
  });
  await new Promise((done) => tiles.listen(0, '127.0.0.1', done));
  try {
    await page.goto(base + '/settings');
    await page.fill('#settings-tiles', `http://127.0.0.1:${tiles.address().port}/{z}/{x}/{y}.png`);
    await page.click('form.settings button[type="submit"]');
    await page.waitForSelector('form.settings p[role="status"]:has-text("Saved.")');
    await axeCheck('settings');
    await page.click('nav a[href="/map"]');
    await page.waitForSelector('#map[data-state="ready"]', { timeout: 60_000 });
    await page.waitForFunction(() => window.citytwinConsole.map.loaded() && window.citytwinConsole.map.getLayer('basemap'));
    assert.ok(requested.some((url) => /^\/\d+\/\d+\/\d+\.png$/.test(url)), `tile requests: ${requested}`);
    await shot('map-basemap');
  } finally {
    await page.goto(base + '/settings');
    await page.fill('#settings-tiles', '');
    await page.click('form.settings button[type="submit"]');
    tiles.close();
  }
});

test('Arabic: right-to-left layout, translated, still accessible', async () => {
  await page.goto(base + '/');
  await page.waitForSelector('#map[data-state="ready"]', { timeout: 60_000 });
  await page.selectOption('#language', 'ar');
  await page.waitForFunction(() => document.documentElement.dir === 'rtl');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'ar');
  await page.waitForSelector('#map[data-state="ready"]', { timeout: 60_000 });
  assert.equal(await page.textContent('nav a[href="/map"]'), 'الخريطة');
  await shot('map-ar');
  await axeCheck('map in Arabic');
  // The newer views in Arabic too: translated, right to left, accessible.
  for (const [path, heading, ready] of [['/devices', 'الأجهزة', '#device-list table'],
    ['/kpis', 'مؤشرات الأداء الرئيسية (U4SSC)', '.kpi-body[data-state="ready"]'],
    ['/import', 'استيراد ملف CSV', '#import-file']]) {
    await page.click(`nav a[href="${path}"]`);
    await page.waitForSelector(ready, { timeout: 30_000 });
    assert.equal(await page.textContent('main h1'), heading);
    assert.equal(await page.evaluate(() => document.documentElement.dir), 'rtl');
    await shot(`${path.slice(1)}-ar`);
    await axeCheck(`${path} in Arabic`);
  }
});

let securedBase;
let adminKey;

test('with API keys required the console asks for one and then shows the data', async () => {
  const secured = join(dataDir, 'secured');
  mkdirSync(secured);
  const keys = {};
  for (const role of ['viewer', 'admin']) {
    keys[role] = execFileSync(binary, ['keys', 'create', '--data', join(secured, 'db'), '--role', role,
      '--tenant', role === 'admin' ? '*' : '', '--name', `e2e ${role}`], { encoding: 'utf8' }).trim();
  }
  adminKey = keys.admin;
  securedBase = await startServer(secured, 'required');
  await page.goto(securedBase + '/entities');
  const field = await page.waitForSelector('#auth-key');
  // A wrong key is refused in the form.
  await field.fill('ct_000000000000.wrong');
  await page.click('.auth-form button[type="submit"]');
  await page.waitForFunction(() => (document.getElementById('auth-error')?.textContent ?? '') !== '');
  await field.fill(keys.viewer);
  await page.click('.auth-form button[type="submit"]');
  await page.waitForSelector('.auth-form', { state: 'detached' });
  // An empty city: the query ran with the session (a 401 would bring the form back).
  await page.waitForSelector('.results p:has-text("No entity matches.")');
  assert.equal(await page.$('#auth-key'), null);
  // The key is in no storage a script can read; the session cookie is HttpOnly.
  const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }) + document.cookie);
  assert.ok(!stored.includes(keys.viewer), 'the key is not kept in the browser');
  assert.ok(!stored.includes('ct_session'), 'the session cookie is HttpOnly');
  await axeCheck('API key prompt');
  // Live updates with keys: the console trades its session for a one-time stream ticket.
  await page.click('nav a[href="/map"]');
  await page.waitForSelector('#live-state[data-state="on"]', { timeout: 20_000 });
  await page.click('nav a[href="/settings"]');
  await page.click('#sign-out');
  await page.waitForSelector('#auth-key');
});

test('login: the session survives a reload, writes carry the CSRF token, sign out ends it', async () => {
  await page.goto(securedBase + '/devices');
  await page.waitForSelector('#auth-key');
  await page.fill('#auth-key', adminKey);
  await page.click('.auth-form button[type="submit"]');
  await page.waitForSelector('.auth-form', { state: 'detached' });
  // After a reload the console asks the server for its session's CSRF token again.
  await page.reload();
  await page.waitForSelector('#device-list p:has-text("No device provisioned yet.")');
  assert.equal(await page.$('#auth-key'), null);
  // A write by the console (an admin's provisioning) passes the CSRF check...
  await page.fill('#group-apikey', 'e2elogin');
  await page.selectOption('#group-resource', '/iot/json');
  await page.fill('#group-type', 'E2ELogin');
  await page.click('form[aria-labelledby="new-group-title"] button[type="submit"]');
  await page.waitForSelector('#group-list tr[data-apikey="e2elogin"]');
  // ...while the same cookie without the token is refused (what a forged request would be).
  const forged = await page.evaluate(async () => (await fetch('/iot/services', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ services: [{ apikey: 'forged', resource: '/iot/json', entity_type: 'X' }] }),
  })).status);
  assert.equal(forged, 403);
  await page.click('nav a[href="/settings"]');
  await page.click('#sign-out');
  await page.waitForSelector('#auth-key');
  await page.waitForSelector('p[role="status"]:has-text("Signed out.")');
  // The session is gone on the server: the browser's requests are 401 again.
  const after = await page.evaluate(async () => (await fetch('/citytwin/v1/session')).status);
  assert.equal(after, 401);
  await axeCheck('signed out');
});

test('the browser reached no address but 127.0.0.1', () => {
  assert.deepEqual(foreignRequests, []);
});

// Devices (docs/ingest.md): every provisioned device of the tenant with its status from its
// NGSI-LD Device entity (last value reported, silent flag, battery, signal) and its latest
// measurement, kept current live; the service groups; and forms to provision a group
// (POST /iot/services) and a device (POST /iot/devices). Provisioning needs an admin key of
// the tenant: with another key the server's 403 message is shown. A device with commands
// gets a control that sends one (a PATCH of the command attribute of its entity, docs/ingest.md
// "Commands") and shows <cmd>_status and <cmd>_info as they change.
import { NGSI, apiGet, apiSend } from '../api';
import { append, h } from '../dom';
import { formatDateTime, formatValue, t } from '../i18n';
import { flash, openLive, type LiveConnection } from '../live';
import type { View } from '../navigation';
import type { NgsiEntity } from './attributes';

type MappingEntry = { object_id?: string; name: string; type?: string };
type Command = { name: string };
type Group = { apikey: string; resource?: string; subservice?: string; entity_type?: string; attributes?: MappingEntry[]; expectedPeriod?: number; commands?: Command[] };
type Device = { device_id: string; subservice?: string; entity_type?: string; entity_name?: string; transport?: string; apikey?: string; commands?: Command[] };
type Prop = { value?: unknown; object?: string };

// Every service path of the tenant (docs/ingest.md "Tenants and service paths").
const ALL_PATHS = { 'Fiware-ServicePath': '/*' };
const RESOURCES = ['/iot/json', '/iot/d', ''];
const TRANSPORTS = ['HTTP', 'MQTT', 'COAP', 'LORAWAN'];

// The ids the server gives a device's entities (src/ingest/device_mapping.cpp).
function deviceEntityId(device: Device): string {
  const path = device.subservice && device.subservice !== '/' ? `${device.subservice.slice(1).replace(/\//g, ':')}:` : '';
  return `urn:ngsi-ld:Device:${path}${device.device_id}`;
}
function assetId(device: Device, groups: Group[]): string {
  const name = device.entity_name || device.device_id;
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(name)) return name;
  const group = groups.find((g) => g.subservice === device.subservice && (!device.apikey || g.apikey === device.apikey));
  return `urn:ngsi-ld:${device.entity_type || group?.entity_type || 'Thing'}:${name}`;
}

// The device's commands: its own, then its group's not overridden by name.
function commandsOf(device: Device, groups: Group[]): string[] {
  const group = groups.find((g) => g.subservice === device.subservice && (!device.apikey || g.apikey === device.apikey));
  const names = (device.commands ?? []).map((c) => c.name);
  for (const c of group?.commands ?? []) if (!names.includes(c.name)) names.push(c.name);
  return names;
}

// A value as typed: JSON when it parses (numbers, objects), else the text.
function typedValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// Send a command, and the status and result of the chosen one as the entity changes.
function commandControl(device: Device, asset: string, names: string[]) {
  const id = `cmd-${device.device_id.replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  const command = h('select', { id: `${id}-name`, 'aria-label': t('command') }, ...names.map((n) => h('option', { value: n }, n)));
  const value = h('input', { id: `${id}-value`, type: 'text', dir: 'ltr', 'aria-label': t('commandValue'), size: 8 });
  const status = h('output', { class: 'command-status', 'aria-live': 'polite', for: `${id}-name` });
  let entity: NgsiEntity | undefined;
  const show = () => {
    const get = (name: string) => (entity?.[name] as Prop | undefined)?.value;
    const state = plain(get(`${command.value}_status`));
    const info = plain(get(`${command.value}_info`));
    status.dataset.status = state;
    status.textContent = state ? (info ? `${state}: ${info}` : state) : '';
  };
  command.addEventListener('change', show);
  const form = h('form', { class: 'command' }, command, value,
    h('button', { type: 'submit' }, t('sendCommand')), status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    status.textContent = '';
    apiSend('PATCH', `${NGSI}/entities/${encodeURIComponent(asset)}/attrs/${encodeURIComponent(command.value)}`,
      { value: typedValue(value.value) })
      .catch((error: Error) => { status.textContent = t('error', { message: error.message }); });
  });
  return { form, update: (changed: NgsiEntity) => { entity = changed; show(); } };
}

function plain(value: unknown): string {
  if (typeof value === 'number') return formatValue(value);
  if (value && typeof value === 'object' && '@value' in value) return String((value as { '@value': unknown })['@value']);
  return value === undefined || value === null ? '' : String(value);
}

// The latest measurement of a device's entity, as "name value" pairs (locations left out).
function measurement(entity: NgsiEntity): string {
  const parts: string[] = [];
  for (const [name, raw] of Object.entries(entity)) {
    if (['id', 'type', 'createdAt', 'modifiedAt', '@context', 'scope'].includes(name)) continue;
    const attribute = raw as { type?: string; value?: unknown };
    if (!attribute || attribute.type !== 'Property') continue;
    parts.push(`${name} ${plain(attribute.value)}`);
  }
  return parts.join(', ');
}

export function renderDevices(container: HTMLElement): View {
  const message = h('p', { role: 'status', class: 'message' });
  const list = h('div', { class: 'results', id: 'device-list' });
  const groupList = h('div', { class: 'results', id: 'group-list' });
  let groups: Group[] = [];
  let live: LiveConnection | undefined;
  const rows = new Map<string, HTMLTableRowElement>();  // by Device entity id and by asset id

  const showStatus = (row: HTMLTableRowElement, entity: NgsiEntity) => {
    const get = (name: string) => (entity[name] as Prop | undefined)?.value;
    const state = plain(get('deviceState'));
    const cells = row.cells;
    const lastSeen = get('dateLastValueReported');
    cells[3].textContent = lastSeen ? formatDateTime(plain(lastSeen)) : '';
    cells[4].textContent = state === 'silent' ? t('deviceSilent') : state === 'ok' ? t('deviceOk') : state;
    cells[4].dataset.state = state;
    cells[5].textContent = plain(get('batteryLevel'));
    cells[6].textContent = plain(get('rssi'));
    const asset = (entity.controlledAsset as Prop | undefined)?.object;
    if (asset && !rows.has(asset)) rows.set(asset, row);
  };
  const controls = new Map<string, ReturnType<typeof commandControl>>();  // by asset id
  const showMeasurement = (row: HTMLTableRowElement, entity: NgsiEntity) => {
    row.cells[7].textContent = measurement(entity);
    row.cells[7].dataset.entityId = entity.id;
    controls.get(entity.id)?.update(entity);
  };

  const refresh = async () => {
    live?.close();
    rows.clear();
    controls.clear();
    try {
      const [{ body: groupBody }, { body: deviceBody }, { body: deviceEntities }] = await Promise.all([
        apiGet<{ services: Group[] }>('/iot/services', { limit: 100 }, ALL_PATHS),
        apiGet<{ count: number; devices: Device[] }>('/iot/devices', { limit: 500 }, ALL_PATHS),
        apiGet<NgsiEntity[]>(`${NGSI}/entities`, { type: 'Device', limit: 1000 }),
      ]);
      groups = groupBody.services;
      renderGroups(groupList, groups);
      updateApikeys(groups);
      const devices = deviceBody.devices;
      if (devices.length === 0) {
        list.replaceChildren(h('p', {}, t('noDevices')));
        return;
      }
      const byId = new Map(deviceEntities.map((entity) => [entity.id, entity]));
      const columns = [t('deviceId'), t('servicePath'), t('transport'), t('lastSeen'), t('deviceState'),
        t('battery'), t('signal'), t('lastMeasurement'), t('commands')];
      const tbody = h('tbody');
      for (const device of devices) {
        const entityId = deviceEntityId(device);
        const asset = assetId(device, groups);
        const row = h('tr', { 'data-device-id': device.device_id },
          h('th', { scope: 'row' }, h('a', { href: `/entities/${encodeURIComponent(asset)}`, 'data-link': true }, device.device_id)),
          h('td', { dir: 'ltr' }, device.subservice ?? '/'),
          h('td', {}, device.transport ?? ''),
          h('td', {}), h('td', {}), h('td', { class: 'number' }), h('td', { class: 'number' }), h('td', { class: 'measurement' }),
          h('td', { class: 'commands' }));
        const names = commandsOf(device, groups);
        if (names.length) {
          const control = commandControl(device, asset, names);
          controls.set(asset, control);
          row.cells[8].append(control.form);
        }
        rows.set(entityId, row);
        rows.set(asset, row);
        const status = byId.get(entityId);
        if (status) showStatus(row, status);
        tbody.append(row);
      }
      list.replaceChildren(h('table', { class: 'devices' },
        h('caption', {}, t('deviceList', { count: deviceBody.count ?? devices.length })),
        h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c)))),
        tbody));
      // The latest measurement of each listed device's entity (one query for all of them).
      const assets = [...new Set(devices.map((d) => assetId(d, groups)))];
      const { body: assetEntities } = await apiGet<NgsiEntity[]>(`${NGSI}/entities`, { id: assets.join(','), limit: 1000 });
      for (const entity of assetEntities) {
        const row = rows.get(entity.id);
        if (row) showMeasurement(row, entity);
      }
      // Live: Device entities change with every measure; the assets carry the values.
      live = openLive({}, {
        update: (entity) => {
          const row = rows.get(entity.id);
          if (!row) return;
          if (entity.type === 'Device') showStatus(row, entity);
          else showMeasurement(row, entity);
          flash(row);
        },
        resync: () => void refresh(),
      });
    } catch (error) {
      list.replaceChildren(h('p', { role: 'alert', class: 'error' }, t('error', { message: (error as Error).message })));
    }
  };

  const provisioned = async (work: () => Promise<unknown>, form: HTMLFormElement) => {
    try {
      await work();
      message.textContent = t('provisioned');
      form.reset();
      await refresh();
    } catch (error) {
      message.textContent = t('error', { message: (error as Error).message });
    }
  };
  const groupForm = groupFormFor(provisioned);
  const { form: deviceForm, updateApikeys } = deviceFormFor(provisioned);
  append(container, h('h1', { tabindex: -1 }, t('devicesTitle')), message, list,
    h('h2', { id: 'groups-title' }, t('serviceGroups')), groupList,
    h('h2', { id: 'new-group-title' }, t('newGroup')), groupForm,
    h('h2', { id: 'new-device-title' }, t('newDevice')), deviceForm);
  void refresh();
  return { dispose: () => live?.close() };
}

function renderGroups(target: HTMLElement, groups: Group[]): void {
  if (groups.length === 0) {
    target.replaceChildren(h('p', {}, t('noGroups')));
    return;
  }
  const columns = [t('apikeyLabel'), t('resource'), t('servicePath'), t('type'), t('attributes'), t('expectedPeriod')];
  target.replaceChildren(h('table', {},
    h('caption', {}, t('groupList', { count: groups.length })),
    h('thead', {}, h('tr', {}, ...columns.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...groups.map((g) => h('tr', { 'data-apikey': g.apikey },
      h('th', { scope: 'row', dir: 'ltr' }, g.apikey),
      h('td', { dir: 'ltr' }, g.resource ?? ''),
      h('td', { dir: 'ltr' }, g.subservice ?? '/'),
      h('td', {}, g.entity_type ?? ''),
      h('td', { dir: 'ltr' }, (g.attributes ?? []).map((a) => `${a.object_id ?? a.name}→${a.name}`).join(', ')),
      h('td', { class: 'number' }, g.expectedPeriod ? formatValue(g.expectedPeriod) : ''))))));
}

// "t temperature Number" per line: object_id, attribute name, type (docs/ingest.md).
function parseMapping(text: string): MappingEntry[] {
  return text.split('\n').map((line) => line.trim()).filter(Boolean).map((line) => {
    const [objectId, name, type] = line.split(/\s+/);
    return { object_id: objectId, name: name || objectId, type: type || 'Number' };
  });
}

type Provision = (work: () => Promise<unknown>, form: HTMLFormElement) => Promise<void>;

function field(id: string, label: string, control: HTMLElement, help?: string): HTMLElement {
  if (help) control.setAttribute('aria-describedby', `${id}-help`);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control,
    help ? h('p', { id: `${id}-help`, class: 'help' }, help) : null);
}

function pathHeader(path: string): Record<string, string> {
  return { 'Fiware-ServicePath': path.trim() || '/' };
}

function groupFormFor(provision: Provision) {
  const apikey = h('input', { id: 'group-apikey', type: 'text', required: true, dir: 'ltr', autocomplete: 'off' });
  const resource = h('select', { id: 'group-resource' }, ...RESOURCES.map((r) => h('option', { value: r }, r || t('anyResource'))));
  const type = h('input', { id: 'group-type', type: 'text', required: true, dir: 'ltr' });
  const path = h('input', { id: 'group-path', type: 'text', value: '/', dir: 'ltr' });
  const mapping = h('textarea', { id: 'group-attributes', rows: 3, dir: 'ltr' });
  const period = h('input', { id: 'group-period', type: 'number', min: 1 });
  const form = h('form', { class: 'filters provision', 'aria-labelledby': 'new-group-title' },
    field('group-apikey', t('apikeyLabel'), apikey),
    field('group-resource', t('resource'), resource),
    field('group-type', t('type'), type),
    field('group-path', t('servicePath'), path),
    field('group-attributes', t('attributeMapping'), mapping, t('attributeMappingHelp')),
    field('group-period', t('expectedPeriod'), period, t('expectedPeriodHelp')),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('create'))));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const group: Record<string, unknown> = { apikey: apikey.value.trim(), resource: resource.value, entity_type: type.value.trim() };
    const attributes = parseMapping(mapping.value);
    if (attributes.length) group.attributes = attributes;
    if (period.value) group.expectedPeriod = Number(period.value);
    void provision(() => apiSend('POST', '/iot/services', { services: [group] }, pathHeader(path.value)), form);
  });
  return form;
}

function deviceFormFor(provision: Provision) {
  const id = h('input', { id: 'device-id', type: 'text', required: true, dir: 'ltr', autocomplete: 'off' });
  const apikey = h('select', { id: 'device-apikey' });
  const type = h('input', { id: 'device-type', type: 'text', dir: 'ltr' });
  const name = h('input', { id: 'device-entity', type: 'text', dir: 'ltr' });
  const path = h('input', { id: 'device-path', type: 'text', value: '/', dir: 'ltr' });
  const transport = h('select', { id: 'device-transport' }, ...TRANSPORTS.map((tr) => h('option', { value: tr }, tr)));
  const mapping = h('textarea', { id: 'device-attributes', rows: 2, dir: 'ltr' });
  const commands = h('input', { id: 'device-commands', type: 'text', dir: 'ltr', autocomplete: 'off' });
  const form = h('form', { class: 'filters provision', 'aria-labelledby': 'new-device-title' },
    field('device-id', t('deviceId'), id),
    field('device-apikey', t('apikeyLabel'), apikey),
    field('device-type', t('type'), type, t('deviceTypeHelp')),
    field('device-entity', t('entityName'), name, t('entityNameHelp')),
    field('device-path', t('servicePath'), path),
    field('device-transport', t('transport'), transport),
    field('device-attributes', t('attributeMapping'), mapping, t('attributeMappingHelp')),
    field('device-commands', t('commands'), commands, t('commandsHelp')),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('create'))));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const device: Record<string, unknown> = { device_id: id.value.trim(), transport: transport.value };
    const names = commands.value.split(',').map((n) => n.trim()).filter(Boolean);
    if (names.length) device.commands = names.map((name) => ({ name, type: 'command' }));
    if (apikey.value) device.apikey = apikey.value;
    if (type.value.trim()) device.entity_type = type.value.trim();
    if (name.value.trim()) device.entity_name = name.value.trim();
    const attributes = parseMapping(mapping.value);
    if (attributes.length) device.attributes = attributes;
    void provision(() => apiSend('POST', '/iot/devices', { devices: [device] }, pathHeader(path.value)), form);
  });
  const updateApikeys = (groups: Group[]) => {
    const chosen = apikey.value;
    apikey.replaceChildren(h('option', { value: '' }, t('anyApikey')),
      ...[...new Set(groups.map((g) => g.apikey))].map((k) => h('option', { value: k, selected: k === chosen }, k)));
  };
  return { form, updateApikeys };
}

// Import (docs/console.md): a CSV file of KPI inputs (POST /kpi/v1/inputs, docs/kpi.md: the
// whole file or nothing, every bad row listed) or of entities (POST /citytwin/v1/import/entities:
// row by row, bad rows listed, good rows written in batches). Entity files are sent in parts of
// PART_ROWS rows, so the bar shows rows written; a KPI file is one request, so the bar shows
// the upload. Errors are listed by line of the file (the header is line 1).
import { authHeaders, UNAUTHORIZED_EVENT } from '../api';
import { append, announce, h } from '../dom';
import { formatValue, t } from '../i18n';
import type { View } from '../navigation';

type RowError = { row: number; column: string; reason: string };
type Answer = { status: number; body: Record<string, unknown> };

const PART_ROWS = 2000;

// Sends `body` with XMLHttpRequest, whose upload events (unlike fetch's) report progress.
function send(path: string, body: string, onUpload: (fraction: number) => void): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', path);
    for (const [name, value] of Object.entries({ ...authHeaders(), 'Content-Type': 'text/csv' })) {
      request.setRequestHeader(name, value);
    }
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onUpload(event.loaded / event.total);
    };
    request.onload = () => {
      if (request.status === 401) window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(request.responseText);
      } catch {
        // not JSON: the status says enough
      }
      resolve({ status: request.status, body: parsed });
    };
    request.onerror = () => reject(new Error(t('importNetwork')));
    request.send(body);
  });
}

// Splits CSV text into records (RFC 4180: a quoted field may hold commas and line ends), each
// with the line it starts on, so a file can be sent in parts that keep whole records.
export function csvRecords(text: string): Array<{ line: number; text: string }> {
  const records: Array<{ line: number; text: string }> = [];
  let start = 0;
  let line = 1;
  let startLine = 1;
  let quoted = false;
  for (let i = 0; i <= text.length; i += 1) {
    const c = text[i];
    if (c === '"') quoted = !quoted;
    if (i === text.length || (c === '\n' && !quoted)) {
      const record = text.slice(start, i).replace(/\r$/, '');
      if (record.trim() !== '') records.push({ line: startLine, text: record });
      start = i + 1;
      startLine = line + 1;
    }
    if (c === '\n') line += 1;
  }
  return records;
}

export function renderImport(container: HTMLElement): View {
  const kind = h('select', { id: 'import-kind' },
    h('option', { value: 'kpi' }, t('importKpiInputs')), h('option', { value: 'entities' }, t('importEntities')));
  const file = h('input', { id: 'import-file', type: 'file', accept: '.csv,text/csv', required: true, 'aria-describedby': 'import-help' });
  const help = h('p', { id: 'import-help', class: 'help' });
  const describe = () => (help.textContent = kind.value === 'kpi' ? t('importKpiHelp') : t('importEntitiesHelp'));
  kind.addEventListener('change', describe);
  describe();
  const button = h('button', { type: 'submit', id: 'import-button' }, t('importRun'));
  const progress = h('progress', { id: 'import-progress', max: 1, value: 0, hidden: true, 'aria-label': t('importProgress') });
  const result = h('div', { class: 'import-result', 'aria-live': 'polite' });
  const form = h('form', { class: 'filters', 'aria-labelledby': 'import-title' },
    h('div', { class: 'field' }, h('label', { for: 'import-kind' }, t('importKind')), kind),
    h('div', { class: 'field grow' }, h('label', { for: 'import-file' }, t('importFile')), file, help),
    h('div', { class: 'actions' }, button));
  append(container, h('h1', { tabindex: -1, id: 'import-title' }, t('importTitle')), form, progress, result);

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return;
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    result.replaceChildren(h('p', {}, t('importing')));
    void chosen.text()
      .then((text) => (kind.value === 'kpi' ? importKpi(text, progress) : importEntities(text, progress)))
      .then(({ summary, errors }) => {
        result.replaceChildren(h('p', { class: errors.length ? 'error' : 'ok', id: 'import-summary' }, summary),
          errors.length ? errorTable(errors) : '');
        announce(summary);
      })
      .catch((error: Error) => result.replaceChildren(h('p', { role: 'alert', class: 'error' }, t('error', { message: error.message }))))
      .finally(() => {
        button.disabled = false;
        progress.value = progress.max;
      });
  });
  return {};
}

type Outcome = { summary: string; errors: RowError[] };

async function importKpi(text: string, progress: HTMLProgressElement): Promise<Outcome> {
  const answer = await send('/kpi/v1/inputs', text, (fraction) => (progress.value = fraction));
  if (answer.status === 201) {
    return { summary: t('importKpiDone', { rows: Number(answer.body.rows ?? 0), results: Number(answer.body.results ?? 0) }), errors: [] };
  }
  const errors = (answer.body.errors as RowError[] | undefined) ?? [];
  return { summary: errors.length ? t('importKpiRefused', { count: errors.length }) : t('error', { message: String(answer.body.detail ?? answer.status) }), errors };
}

async function importEntities(text: string, progress: HTMLProgressElement): Promise<Outcome> {
  const records = csvRecords(text);
  if (records.length === 0) throw new Error(t('importEmpty'));
  const [header, ...rows] = records;
  progress.max = Math.max(rows.length, 1);
  const errors: RowError[] = [];
  let written = 0;
  for (let start = 0; start < Math.max(rows.length, 1); start += PART_ROWS) {
    const part = rows.slice(start, start + PART_ROWS);
    const body = [header.text, ...part.map((r) => r.text)].join('\n') + '\n';
    const query = part.length ? `?firstLine=${part[0].line}` : '';
    const answer = await send(`/citytwin/v1/import/entities${query}`, body, () => undefined);
    if (answer.status !== 201 && answer.status !== 207) {
      const refused = (answer.body.errors as RowError[] | undefined) ?? [];
      if (refused.length === 0) throw new Error(String(answer.body.detail ?? answer.status));
      return { summary: t('importEntitiesRefused'), errors: refused };
    }
    written += Number(answer.body.written ?? 0);
    errors.push(...((answer.body.errors as RowError[] | undefined) ?? []));
    progress.value = Math.min(start + part.length, rows.length);
  }
  return { summary: t('importEntitiesDone', { written, rows: rows.length, rejected: errors.length }), errors };
}

function errorTable(errors: RowError[]): HTMLElement {
  return h('table', { class: 'import-errors' },
    h('caption', {}, t('importErrors', { count: errors.length })),
    h('thead', {}, h('tr', {}, ...[t('importLine'), t('importColumn'), t('importReason')].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...errors.slice(0, 1000).map((e) => h('tr', { 'data-row': e.row },
      h('td', { class: 'number' }, formatValue(e.row)), h('td', { dir: 'ltr' }, e.column), h('td', {}, e.reason)))));
}

// The NGSI-LD API as the console uses it: same origin, authenticated by the session cookie of
// the console's login with its CSRF token (session.ts), the tenant header when one is chosen.
// A 401 tells the shell to ask for a key.
import { session } from './session';
import { settings } from './settings';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type Params = Record<string, string | number | undefined>;

export interface ApiResponse<T> {
  body: T;
  headers: Headers;
  status: number;
}

export const UNAUTHORIZED_EVENT = 'citytwin:unauthorized';

export function authHeaders(): Record<string, string> {
  return headers();
}

function headers(): Record<string, string> {
  const result: Record<string, string> = { Accept: 'application/json' };
  const csrf = session.csrfToken();
  if (csrf) result['X-CSRF-Token'] = csrf;
  const tenant = settings.tenant();
  if (tenant) result['NGSILD-Tenant'] = tenant;
  return result;
}

export async function apiGet<T>(path: string, params: Params = {},
  extraHeaders: Record<string, string> = {}): Promise<ApiResponse<T>> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') query.set(name, String(value));
  }
  const url = path + (query.toString() ? `?${query}` : '');
  const response = await checked(await fetch(url, { headers: { ...headers(), ...extraHeaders } }));
  return { body: (await response.json()) as T, headers: response.headers, status: response.status };
}

// A write (POST, PATCH, DELETE) with an optional JSON body; resolves once the server
// acknowledged it (durably, docs/storage.md).
export async function apiSend(method: string, path: string, body?: unknown,
  extraHeaders: Record<string, string> = {}): Promise<Response> {
  const init: RequestInit = { method, headers: { ...headers(), ...extraHeaders } };
  if (body !== undefined) {
    init.headers = { ...headers(), 'Content-Type': 'application/json', ...extraHeaders };
    init.body = JSON.stringify(body);
  }
  return checked(await fetch(path, init));
}

async function checked(response: Response): Promise<Response> {
  if (response.status === 401) window.dispatchEvent(new CustomEvent(UNAUTHORIZED_EVENT));
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try {
      const problem = await response.json();
      message = problem.detail || problem.title || message;
    } catch {
      // not a ProblemDetails body: the status line says enough
    }
    throw new ApiError(response.status, message);
  }
  return response;
}

export const NGSI = '/ngsi-ld/v1';

export function entityPath(id: string): string {
  return `${NGSI}/entities/${encodeURIComponent(id)}`;
}

export async function entityTypes(): Promise<string[]> {
  const { body } = await apiGet<{ typeList?: string[] }>(`${NGSI}/types`);
  return (body.typeList ?? []).slice().sort();
}

// Every page of a query (offset paging, clause 5.5.9), `limit` entities at a time: the first
// page asks for the count, the others are then fetched `concurrency` at a time. A page costs
// the server more the further its offset (it skips what comes before), so callers split large
// queries (the map: one per type) and the pages run side by side.
export async function queryAll<T>(
  params: Params,
  limit = 1000,
  onPage?: (entities: number) => void,
  concurrency = 3,
): Promise<T[]> {
  const first = await apiGet<T[]>(`${NGSI}/entities`, { ...params, limit, offset: 0, count: 'true' });
  const total = Number(first.headers.get('NGSILD-Results-Count') ?? first.body.length);
  onPage?.(first.body.length);
  const offsets: number[] = [];
  for (let offset = limit; offset < total; offset += limit) offsets.push(offset);
  const pages: T[][] = [first.body];
  let next = 0;
  const worker = async () => {
    while (next < offsets.length) {
      const index = next++;
      const { body } = await apiGet<T[]>(`${NGSI}/entities`, { ...params, limit, offset: offsets[index] });
      pages[index + 1] = body;
      onPage?.(body.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, offsets.length) }, worker));
  return pages.flat();
}

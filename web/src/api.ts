// The NGSI-LD API as the console uses it: same origin, the user's API key as a Bearer token,
// the tenant header when one is chosen. A 401 tells the shell to ask for a key.
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

export async function apiGet<T>(path: string, params: Params = {}): Promise<ApiResponse<T>> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') query.set(name, String(value));
  }
  const url = path + (query.toString() ? `?${query}` : '');
  const headers: Record<string, string> = { Accept: 'application/json' };
  const key = settings.apiKey();
  if (key) headers.Authorization = `Bearer ${key}`;
  const tenant = settings.tenant();
  if (tenant) headers['NGSILD-Tenant'] = tenant;
  const response = await fetch(url, { headers });
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
  return { body: (await response.json()) as T, headers: response.headers, status: response.status };
}

export const NGSI = '/ngsi-ld/v1';

export function entityPath(id: string): string {
  return `${NGSI}/entities/${encodeURIComponent(id)}`;
}

export async function entityTypes(): Promise<string[]> {
  const { body } = await apiGet<{ typeList?: string[] }>(`${NGSI}/types`);
  return (body.typeList ?? []).slice().sort();
}

// Every page of a query (offset paging, clause 5.5.9), `limit` entities at a time.
export async function queryAll<T>(params: Params, limit = 1000, onPage?: (count: number) => void): Promise<T[]> {
  const all: T[] = [];
  for (let offset = 0; ; offset += limit) {
    const { body } = await apiGet<T[]>(`${NGSI}/entities`, { ...params, limit, offset });
    all.push(...body);
    onPage?.(all.length);
    if (body.length < limit) return all;
  }
}

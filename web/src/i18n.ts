// Message catalogues of the six UN languages; the language comes from the browser the first
// time and from the user's choice after (localStorage). Arabic is laid out right to left.
import { en, type MessageKey, type Messages } from './locales/en';

export const languages = [
  { code: 'ar', name: 'العربية', dir: 'rtl' },
  { code: 'zh', name: '中文', dir: 'ltr' },
  { code: 'en', name: 'English', dir: 'ltr' },
  { code: 'fr', name: 'Français', dir: 'ltr' },
  { code: 'ru', name: 'Русский', dir: 'ltr' },
  { code: 'es', name: 'Español', dir: 'ltr' },
] as const;
export type Language = (typeof languages)[number]['code'];

// English is in the shell; each other catalogue is its own file, fetched when first chosen
// (the shell would otherwise carry all six).
const catalogues: Partial<Record<Language, Messages>> = { en };
const loaders: Record<Exclude<Language, 'en'>, () => Promise<Messages>> = {
  ar: () => import('./locales/ar').then((m) => m.ar),
  zh: () => import('./locales/zh').then((m) => m.zh),
  fr: () => import('./locales/fr').then((m) => m.fr),
  ru: () => import('./locales/ru').then((m) => m.ru),
  es: () => import('./locales/es').then((m) => m.es),
};

async function loadCatalogue(code: Language): Promise<void> {
  if (code !== 'en' && !catalogues[code]) catalogues[code] = await loaders[code]();
}
const STORAGE_KEY = 'citytwin.language';

function isLanguage(code: string): code is Language {
  return languages.some((language) => language.code === code);
}

// The first of the browser's preferred languages we have ("fr-CA" -> "fr"), else English.
export function browserLanguage(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLanguage(base)) return base;
  }
  return 'en';
}

let current: Language = 'en';
const listeners: Array<() => void> = [];

export async function initLanguage(): Promise<void> {
  const stored = localStorage.getItem(STORAGE_KEY);
  await setLanguage(stored && isLanguage(stored) ? stored : browserLanguage(navigator.languages), false);
}

export function language(): Language {
  return current;
}

export async function setLanguage(code: Language, remember = true): Promise<void> {
  try {
    await loadCatalogue(code);
  } catch {
    code = 'en';  // the file could not be fetched: stay readable
  }
  current = code;
  if (remember) localStorage.setItem(STORAGE_KEY, code);
  const root = document.documentElement;
  root.lang = code;
  root.dir = languages.find((l) => l.code === code)?.dir ?? 'ltr';
  for (const listener of listeners) listener();
}

export function onLanguageChange(listener: () => void): void {
  listeners.push(listener);
}

// The message for `key` with {name} placeholders filled.
export function t(key: MessageKey, values: Record<string, string | number> = {}): string {
  const template = catalogues[current]?.[key] ?? en[key];
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? formatValue(values[name]) : whole,
  );
}

export function formatValue(value: string | number): string {
  return typeof value === 'number' ? new Intl.NumberFormat(current).format(value) : value;
}

export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(current, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' })
    .format(date) + ' UTC';
}

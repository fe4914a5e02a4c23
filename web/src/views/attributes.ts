// Reads the attributes of an NGSI-LD entity in normalized form (clause 4.5.1) into rows the
// views show: value, unit code, observedAt, and relationships as links to their objects.
import { h } from '../dom';
import { formatDateTime, formatValue } from '../i18n';

export type NgsiEntity = { id: string; type: string } & Record<string, unknown>;

type Attribute = {
  type?: string;
  value?: unknown;
  object?: unknown;
  unitCode?: string;
  observedAt?: string;
  datasetId?: string;
};

export interface AttributeRow {
  name: string;
  kind: 'property' | 'relationship' | 'geo' | 'other';
  numeric: boolean;
  unit: string;
  observedAt: string;
  datasetId: string;
  valueNode: () => Node;
}

const skipped = new Set(['id', 'type', '@context', 'scope', 'createdAt', 'modifiedAt']);

function valueText(value: unknown): string {
  if (typeof value === 'number') return formatValue(value);
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && '@value' in value) return String((value as { '@value': unknown })['@value']);
  return JSON.stringify(value);
}

function row(name: string, attribute: Attribute): AttributeRow {
  const kind =
    attribute.type === 'Relationship' ? 'relationship'
    : attribute.type === 'GeoProperty' ? 'geo'
    : attribute.type === 'Property' ? 'property'
    : 'other';
  const base = {
    name,
    kind,
    numeric: kind === 'property' && typeof attribute.value === 'number',
    unit: attribute.unitCode ?? '',
    observedAt: attribute.observedAt ? formatDateTime(attribute.observedAt) : '',
    datasetId: attribute.datasetId ?? '',
  } as const;
  if (kind === 'relationship') {
    const objects = Array.isArray(attribute.object) ? attribute.object : [attribute.object];
    return {
      ...base,
      valueNode: () => {
        const span = h('span', { class: 'relationship' });
        objects.forEach((object, index) => {
          if (index > 0) span.append(', ');
          span.append(h('a', { href: `/entities/${encodeURIComponent(String(object))}`, 'data-link': true }, String(object)));
        });
        return span;
      },
    };
  }
  if (kind === 'geo') {
    const geometry = attribute.value as { type?: string; coordinates?: unknown } | undefined;
    return { ...base, valueNode: () => h('code', {}, `${geometry?.type ?? ''} ${JSON.stringify(geometry?.coordinates ?? '')}`.slice(0, 120)) };
  }
  return { ...base, valueNode: () => document.createTextNode(valueText(kind === 'other' ? attribute : attribute.value)) };
}

export function attributeRows(entity: NgsiEntity): AttributeRow[] {
  const rows: AttributeRow[] = [];
  for (const [name, raw] of Object.entries(entity)) {
    if (skipped.has(name)) continue;
    // A multi-attribute (several datasetIds) is an array of instances (clause 4.5.5).
    const instances = Array.isArray(raw) ? raw : [raw];
    for (const instance of instances) {
      rows.push(row(name, instance && typeof instance === 'object' ? (instance as Attribute) : { value: instance }));
    }
  }
  return rows;
}

// The latest observedAt of the numeric attributes, as the end of the default chart range.
export function latestObservation(entity: NgsiEntity): Date | undefined {
  let latest: Date | undefined;
  for (const raw of Object.values(entity)) {
    const attribute = raw as Attribute;
    if (attribute && typeof attribute === 'object' && attribute.observedAt) {
      const date = new Date(attribute.observedAt);
      if (!Number.isNaN(date.getTime()) && (!latest || date > latest)) latest = date;
    }
  }
  return latest;
}

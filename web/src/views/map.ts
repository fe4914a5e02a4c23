// The map: every entity with a location, coloured by type, points clustered when dense,
// polygons and lines drawn as they are. The style is defined here, with no glyphs, sprites or
// tiles from elsewhere, so it works without internet; a tile URL in the settings adds a
// raster basemap.
import maplibregl, { type GeoJSONSource, type MapGeoJSONFeature, type StyleSpecification } from 'maplibre-gl';
import 'maplibre-gl/dist/maplibre-gl.css';
import { entityTypes, queryAll } from '../api';
import { typeColors } from '../colors';
import { append, h } from '../dom';
import { t } from '../i18n';
import { navigate } from '../navigation';
import { settings } from '../settings';
import { openLive } from '../live';
import { entityCard, updateCard } from './card';
import type { View } from '../navigation';

type Geometry = GeoJSON.Geometry;
type Located = { id: string; type: string; location?: Geometry | { value?: Geometry } };

const IN_VIEW_LIMIT = 50;

function geometryOf(entity: Located): Geometry | undefined {
  const location = entity.location as Record<string, unknown> | undefined;
  if (!location) return undefined;
  // keyValues gives the GeoJSON itself; normalized would wrap it in a GeoProperty.
  const geometry = ('coordinates' in location || 'geometries' in location ? location : location.value) as Geometry | undefined;
  return geometry && typeof geometry === 'object' && 'type' in geometry ? geometry : undefined;
}

function style(tileUrl: string): StyleSpecification {
  const spec: StyleSpecification = {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#eef1f4' } }],
  };
  if (tileUrl) {
    spec.sources.basemap = { type: 'raster', tiles: [tileUrl], tileSize: 256 };
    spec.layers.push({ id: 'basemap', type: 'raster', source: 'basemap' });
  }
  return spec;
}

function colorExpression(colors: Map<string, string>): maplibregl.ExpressionSpecification | string {
  if (colors.size === 0) return '#4d5766';
  const pairs = [...colors].flatMap(([type, color]) => [type, color]);
  return ['match', ['get', 'type'], ...pairs, '#4d5766'] as unknown as maplibregl.ExpressionSpecification;
}

// The draw-a-box mode: while the button is pressed, a drag on the map draws a rectangle
// instead of panning; releasing opens the entity list filtered to it.
function drawBoxes(map: maplibregl.Map, mapElement: HTMLElement, button: HTMLButtonElement): void {
  const box = h('div', { class: 'draw-box', hidden: true });
  mapElement.append(box);
  let start: { x: number; y: number } | undefined;
  const setMode = (on: boolean) => {
    button.setAttribute('aria-pressed', String(on));
    mapElement.classList.toggle('drawing', on);
    if (on) map.dragPan.disable();
    else map.dragPan.enable();
    start = undefined;
    box.hidden = true;
  };
  const point = (event: MouseEvent) => {
    const rect = mapElement.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  };
  button.addEventListener('click', () => setMode(button.getAttribute('aria-pressed') !== 'true'));
  mapElement.addEventListener('keydown', (event) => { if (event.key === 'Escape') setMode(false); });
  button.addEventListener('keydown', (event) => { if (event.key === 'Escape') setMode(false); });
  mapElement.addEventListener('mousedown', (event) => {
    if (button.getAttribute('aria-pressed') !== 'true') return;
    start = point(event);
    event.preventDefault();
  });
  mapElement.addEventListener('mousemove', (event) => {
    if (!start) return;
    const now = point(event);
    Object.assign(box.style, {
      left: `${Math.min(start.x, now.x)}px`, top: `${Math.min(start.y, now.y)}px`,
      width: `${Math.abs(now.x - start.x)}px`, height: `${Math.abs(now.y - start.y)}px`,
    });
    box.hidden = false;
  });
  mapElement.addEventListener('mouseup', (event) => {
    if (!start) return;
    const end = point(event);
    const first = start;
    setMode(false);
    if (Math.abs(end.x - first.x) < 4 || Math.abs(end.y - first.y) < 4) return;  // a click
    const a = map.unproject([first.x, first.y]);
    const b = map.unproject([end.x, end.y]);
    const bbox = [Math.min(a.lng, b.lng), Math.min(a.lat, b.lat), Math.max(a.lng, b.lng), Math.max(a.lat, b.lat)];
    navigate(`/entities?bbox=${bbox.map((n) => n.toFixed(5)).join(',')}`);
  });
}

export function renderMap(container: HTMLElement): View {
  const status = h('p', { class: 'map-status', role: 'status' }, t('mapLoading'));
  const mapElement = h('div', { id: 'map', class: 'map', role: 'region', 'aria-label': t('mapLabel') });
  const legend = h('ul', { class: 'legend' });
  const cardSlot = h('div', { class: 'card-slot' });
  const inView = h('ul', { class: 'in-view' });
  const inViewNote = h('p', { class: 'help' });
  // The entities view filtered to what the map shows (georel=within the visible box).
  const listArea = h('button', { type: 'button', class: 'secondary', id: 'list-area' }, t('listInArea'));
  // Or a box drawn by hand on the map (drag with the pointer; Escape cancels). The button
  // above is the keyboard's way to the same filter.
  const drawArea = h('button', { type: 'button', class: 'secondary', id: 'draw-area', 'aria-pressed': 'false' }, t('drawArea'));
  const side = h(
    'aside',
    { class: 'map-side', 'aria-label': t('legend') },
    cardSlot,
    h('h2', { id: 'legend-title' }, t('legend')),
    legend,
    h('h2', { id: 'in-view-title' }, t('inView')),
    listArea,
    drawArea,
    inViewNote,
    inView,
  );
  legend.setAttribute('aria-labelledby', 'legend-title');
  inView.setAttribute('aria-labelledby', 'in-view-title');
  append(container, h('h1', { tabindex: -1, class: 'visually-hidden-heading' }, t('mapTitle')), status,
    h('div', { class: 'map-layout' }, mapElement, side));

  let map: maplibregl.Map;
  try {
    map = new maplibregl.Map({
      container: mapElement,
      style: style(settings.tileUrl()),
      center: [0, 20],
      zoom: 1,
      attributionControl: false,
      // No glyphs: labels are in the side panel, not drawn on the map.
      localIdeographFontFamily: 'sans-serif',
    });
  } catch {
    status.textContent = t('mapNoWebgl');
    return {};
  }
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  listArea.addEventListener('click', () => {
    const bounds = map.getBounds();
    const box = [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()].map((n) => n.toFixed(5));
    navigate(`/entities?bbox=${box.join(',')}`);
  });
  drawBoxes(map, mapElement, drawArea);
  (window as unknown as { citytwinConsole?: object }).citytwinConsole = { map };
  const hidden = new Set<string>();

  const closeCard = () => cardSlot.replaceChildren();
  const openCard = async (id: string, returnFocus?: HTMLElement) => {
    try {
      const card = await entityCard(id, () => {
        closeCard();
        returnFocus?.focus();
      });
      cardSlot.replaceChildren(card);
      card.querySelector<HTMLElement>('h2')?.setAttribute('tabindex', '-1');
      card.querySelector<HTMLElement>('h2')?.focus();
    } catch (error) {
      cardSlot.replaceChildren(h('p', { role: 'alert' }, t('error', { message: (error as Error).message })));
    }
  };

  const applyFilter = () => {
    const filter: maplibregl.FilterSpecification | null =
      hidden.size === 0 ? null : ['!', ['in', ['get', 'type'], ['literal', [...hidden]]]];
    for (const layer of ['shapes-fill', 'shapes-line']) map.setFilter(layer, filter);
    const points = map.getSource<GeoJSONSource>('points');
    points?.setData({ type: 'FeatureCollection', features: pointFeatures.filter((f) => !hidden.has(f.properties.type)) });
  };

  let pointFeatures: Array<GeoJSON.Feature<Geometry, { id: string; type: string }>> = [];

  const refreshInView = () => {
    if (!map.getLayer('points')) return;
    const features = map.queryRenderedFeatures({ layers: ['points', 'shapes-fill', 'shapes-line'] });
    const seen = new Set<string>();
    const items: HTMLElement[] = [];
    for (const feature of features) {
      const id = String(feature.properties?.id);
      if (seen.has(id)) continue;
      seen.add(id);
      if (items.length >= IN_VIEW_LIMIT) break;
      const button = h('button', { type: 'button', class: 'link', 'data-entity-id': id }, id);
      button.addEventListener('click', () => void openCard(id, button));
      items.push(h('li', {}, button));
    }
    inView.replaceChildren(...items);
    // Entities inside a cluster are not listed one by one: zooming in splits the clusters.
    const clustered = map.queryRenderedFeatures({ layers: ['clusters'] }).length > 0;
    inViewNote.textContent = seen.size > IN_VIEW_LIMIT || clustered ? t('inViewMore') : '';
  };

  const load = async () => {
    const types = await entityTypes();
    const colors = typeColors(types);
    // One query per type, side by side: shorter offsets for the server to skip (api.ts).
    let fetched = 0;
    const progress = (count: number) => {
      fetched += count;
      status.textContent = `${t('mapLoading')} ${fetched}`;
    };
    const perType = await Promise.all(types.map((type) =>
      queryAll<Located>({ type, attrs: 'location', options: 'keyValues' }, 1000, progress, 2)));
    const entities = perType.flat();
    const shapes: typeof pointFeatures = [];
    const bounds = new maplibregl.LngLatBounds();
    const counts = new Map<string, number>();
    for (const entity of entities) {
      const geometry = geometryOf(entity);
      if (!geometry) continue;
      const feature = { type: 'Feature' as const, geometry, properties: { id: entity.id, type: entity.type } };
      (geometry.type === 'Point' ? pointFeatures : shapes).push(feature);
      counts.set(entity.type, (counts.get(entity.type) ?? 0) + 1);
      extend(bounds, geometry);
    }
    const color = colorExpression(colors);
    map.addSource('shapes', { type: 'geojson', data: { type: 'FeatureCollection', features: shapes } });
    map.addLayer({ id: 'shapes-fill', type: 'fill', source: 'shapes', filter: ['==', ['geometry-type'], 'Polygon'],
      paint: { 'fill-color': color, 'fill-opacity': 0.35, 'fill-outline-color': color } });
    map.addLayer({ id: 'shapes-line', type: 'line', source: 'shapes', paint: { 'line-color': color, 'line-width': 3 } });
    // Points are clustered on the client (MapLibre's supercluster) so dense areas stay legible.
    map.addSource('points', { type: 'geojson', data: { type: 'FeatureCollection', features: pointFeatures },
      cluster: true, clusterRadius: 40, clusterMaxZoom: 15 });
    map.addLayer({ id: 'clusters', type: 'circle', source: 'points', filter: ['has', 'point_count'],
      paint: { 'circle-color': '#35475c', 'circle-opacity': 0.85, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2,
        'circle-radius': ['step', ['get', 'point_count'], 12, 10, 16, 50, 22, 200, 28] } });
    map.addLayer({ id: 'points', type: 'circle', source: 'points', filter: ['!', ['has', 'point_count']],
      paint: { 'circle-color': color, 'circle-radius': 7, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1.5 } });

    legend.replaceChildren(...types.filter((type) => counts.has(type)).map((type) => {
      const id = `legend-${type.replace(/[^A-Za-z0-9_-]/g, '_')}`;
      const checkbox = h('input', { type: 'checkbox', id, checked: true });
      checkbox.addEventListener('change', () => {
        if (checkbox.checked) hidden.delete(type);
        else hidden.add(type);
        applyFilter();
      });
      return h('li', {}, checkbox, h('label', { for: id },
        h('span', { class: 'swatch', style: `background:${colors.get(type)}`, 'aria-hidden': 'true' }), `${type} (${counts.get(type)})`));
    }));
    if (!bounds.isEmpty()) map.fitBounds(bounds, { padding: 40, animate: false, maxZoom: 16 });
    const message = t('mapLoaded', { count: pointFeatures.length + shapes.length });
    status.textContent = message;
    mapElement.dataset.state = 'ready';
    mapElement.dataset.entities = String(pointFeatures.length + shapes.length);
  };

  // Live: a moved entity moves on the map, and the open card shows the new values. Point
  // updates are applied together, at most a few times a second (setData re-clusters).
  const moved = new Map<string, Geometry>();
  let redraw: number | undefined;
  const applyMoves = () => {
    redraw = undefined;
    let changed = false;
    for (const feature of pointFeatures) {
      const geometry = moved.get(feature.properties.id);
      if (geometry) {
        feature.geometry = geometry;
        changed = true;
      }
    }
    moved.clear();
    if (changed) applyFilter();
  };
  const live = openLive({}, {
    update: (entity) => {
      const card = cardSlot.querySelector<HTMLElement>('.card');
      if (card) updateCard(card, entity);
      const geometry = geometryOf(entity as Located);
      if (geometry?.type === 'Point' && map.getSource('points')) {
        moved.set(entity.id, geometry);
        redraw ??= window.setTimeout(applyMoves, 250);
      }
    },
  });

  map.on('load', () => {
    load().catch((error: Error) => {
      status.textContent = t('error', { message: error.message });
      mapElement.dataset.state = 'error';
    });
  });
  // After every settle (moves, zooms, data), once the tiles are drawn and can be queried.
  map.on('idle', refreshInView);
  map.on('click', 'clusters', async (event) => {
    const feature = event.features?.[0] as MapGeoJSONFeature | undefined;
    if (!feature) return;
    const source = map.getSource<GeoJSONSource>('points');
    const zoom = await source?.getClusterExpansionZoom(feature.properties?.cluster_id as number);
    map.easeTo({ center: (feature.geometry as GeoJSON.Point).coordinates as [number, number], zoom: zoom ?? map.getZoom() + 2 });
  });
  for (const layer of ['points', 'shapes-fill', 'shapes-line']) {
    map.on('click', layer, (event) => {
      const id = event.features?.[0]?.properties?.id;
      if (id) void openCard(String(id), mapElement.querySelector('canvas') ?? undefined);
    });
    map.on('mouseenter', layer, () => (map.getCanvas().style.cursor = 'pointer'));
    map.on('mouseleave', layer, () => (map.getCanvas().style.cursor = ''));
  }
  map.on('mouseenter', 'clusters', () => (map.getCanvas().style.cursor = 'pointer'));
  map.on('mouseleave', 'clusters', () => (map.getCanvas().style.cursor = ''));
  map.on('error', (event) => console.warn('map:', event.error?.message));

  return {
    dispose: () => {
      live.close();
      window.clearTimeout(redraw);
      map.remove();
      delete (window as unknown as { citytwinConsole?: object }).citytwinConsole;
    },
  };
}

function extend(bounds: maplibregl.LngLatBounds, geometry: Geometry): void {
  const visit = (coordinates: unknown): void => {
    if (Array.isArray(coordinates) && typeof coordinates[0] === 'number') {
      bounds.extend([coordinates[0], coordinates[1] as number]);
    } else if (Array.isArray(coordinates)) {
      coordinates.forEach(visit);
    }
  };
  if (geometry.type === 'GeometryCollection') geometry.geometries.forEach((g) => extend(bounds, g));
  else visit(geometry.coordinates);
}

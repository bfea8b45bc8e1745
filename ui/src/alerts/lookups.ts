/** Everything an alert can point at, loaded together so the pages show names instead of ids. */
import { alertsApi, type Alert, type DashboardSummary, type SavedSearchSummary, type SourceSummary, type Webhook } from '../alertsApi';

export interface Lookups {
  webhooks: Webhook[];
  savedSearches: SavedSearchSummary[];
  dashboards: DashboardSummary[];
  sources: SourceSummary[];
}

export async function loadLookups(signal: AbortSignal): Promise<Lookups> {
  const [webhooks, savedSearches, dashboards, sources] = await Promise.all([
    alertsApi.webhooks(signal),
    alertsApi.savedSearches(signal),
    alertsApi.dashboards(signal),
    alertsApi.sources(signal),
  ]);
  return { webhooks, savedSearches, dashboards, sources };
}

/** What an alert watches, in words: the saved search, the query on a source, the tile or the series. */
export function watches(alert: Alert, lookups: Lookups): string {
  const source = (id: number | null) => lookups.sources.find((one) => one.id === id)?.name ?? `source #${id}`;
  if (alert.kind === 'search') {
    if (alert.saved_search_id !== null) {
      const saved = lookups.savedSearches.find((one) => one.id === alert.saved_search_id);
      return `Saved search “${saved?.name ?? `#${alert.saved_search_id}`}”`;
    }
    return `${source(alert.source_id)}: ${alert.query ? alert.query : 'all rows'}`;
  }
  if (alert.dashboard_id !== null) {
    const board = lookups.dashboards.find((one) => one.id === alert.dashboard_id);
    const tile = board?.tiles.find((one) => one.id === alert.tile_id);
    return `Tile “${tile?.title || alert.tile_id}” of ${board?.name ?? `dashboard #${alert.dashboard_id}`}`;
  }
  const series = alert.series;
  return `${source(alert.source_id)}: ${series?.aggregation ?? ''}${series?.field ? `(${series.field})` : ''}`;
}

/** A dashboard's tiles an alert can watch (text tiles have no value). */
export function chartTiles(lookups: Lookups, dashboardId: string) {
  return (
    lookups.dashboards
      .find((one) => String(one.id) === dashboardId)
      ?.tiles.filter((tile) => tile.chart.display !== 'markdown') ?? []
  );
}

/**
 * Where to look at what an alert watches: the search (its saved search, or its source and query) or the
 * dashboard; with `window`, narrowed to that window. Null for a series alert (no page shows it as such).
 */
export function watchLink(
  alert: Pick<Alert, 'kind' | 'saved_search_id' | 'source_id' | 'query' | 'language' | 'dashboard_id'>,
  lookups: Pick<Lookups, 'savedSearches'>,
  window?: { start: string; end: string },
): string | null {
  const params = new URLSearchParams();
  let path: string;
  if (alert.kind === 'search') {
    const saved = alert.saved_search_id !== null ? lookups.savedSearches.find((one) => one.id === alert.saved_search_id) : null;
    const source = saved ? saved.source_id : alert.source_id;
    if (source === null) return null;
    const query = saved ? saved.query : (alert.query ?? '');
    const language = saved ? saved.language : alert.language;
    path = '/search';
    params.set('source', String(source));
    if (query !== '') params.set('q', query);
    if (language === 'sql') params.set('lang', 'sql');
    if (saved) params.set('saved', String(saved.id));
  } else if (alert.dashboard_id !== null) {
    path = `/dashboards/${alert.dashboard_id}`;
  } else {
    return null;
  }
  if (window) {
    params.set('from', window.start);
    params.set('to', window.end);
  }
  const query = params.toString();
  return query === '' ? path : `${path}?${query}`;
}

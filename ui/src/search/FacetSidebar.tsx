import { useState } from 'react';
import { ErrorMessage, Loading } from '../components';
import type { TimeWindow } from '../time';
import { traceApi, type Facet, type FacetsAnswer } from '../traceApi';
import type { Source } from '../types';
import { useLoad } from '../ui/useLoad';
import '../styles/trace.css';

export interface FacetSidebarProps {
  source: Source;
  query: string;
  language: 'lucene' | 'sql';
  window: TimeWindow;
  onFilter: (field: string, value: string, exclude: boolean) => void;
}


const SHOWN = 5;

/** Labels for the default facets, which come as aliases. */
const TITLES: Record<string, string> = { service: 'Service', severity: 'Severity', level: 'Level' };

/** The most frequent values of the main fields and attributes among the matching rows. */
export function FacetSidebar({ source, query, language, window, onFilter }: FacetSidebarProps) {
  // The key reloads the facets whenever the search changes; the previous request is aborted.
  const scope = { source_id: source.id, query, language, start: window.start, end: window.end };
  const { state } = useLoad((signal) => traceApi.facets(scope, signal), JSON.stringify(scope));

  return (
    <aside className="facet-sidebar" aria-label="Facets">
      <h2 className="facet-title">Facets</h2>
      {state.kind === 'loading' && <Loading what="facets" />}
      {state.kind === 'error' && <ErrorMessage message={state.message} />}
      {state.kind === 'ready' && <FacetList answer={state.value} onFilter={onFilter} />}
    </aside>
  );
}

function FacetList({ answer, onFilter }: { answer: FacetsAnswer; onFilter: FacetSidebarProps['onFilter'] }) {
  const facets = answer.facets.filter((facet) => facet.values.length > 0);
  if (answer.sampled === 0) return <p className="muted">No rows match, so there is nothing to count.</p>;
  return (
    <>
      {answer.partial && (
        <p className="facet-note" role="note">
          Counted over the newest {answer.sampled.toLocaleString('en-US')} matching rows.
        </p>
      )}
      {facets.length === 0 && <p className="muted">No field has values in these rows.</p>}
      {facets.map((facet) => (
        <FacetBlock key={`${facet.attribute ? 'a' : 'f'}:${facet.field}`} facet={facet} sampled={answer.sampled} onFilter={onFilter} />
      ))}
    </>
  );
}

function FacetBlock({ facet, sampled, onFilter }: { facet: Facet; sampled: number; onFilter: FacetSidebarProps['onFilter'] }) {
  const [all, setAll] = useState(false);
  const [open, setOpen] = useState(true);
  const title = TITLES[facet.field] ?? facet.field;
  const shown = all ? facet.values : facet.values.slice(0, SHOWN);
  const top = Math.max(1, sampled);
  return (
    <section className="facet" aria-label={title}>
      <h3>
        <button type="button" className="facet-head" aria-expanded={open} onClick={() => setOpen(!open)}>
          <span className="facet-caret" aria-hidden="true">
            {open ? '▾' : '▸'}
          </span>
          <span className="facet-name" title={facet.field}>
            {title}
          </span>
          <span className="muted facet-present" title="Rows with a value">
            {Math.round((facet.present / top) * 100)}%
          </span>
        </button>
      </h3>
      {open && (
        <ul className="facet-values">
          {shown.map((item) => {
            const label = item.value === '' ? '(empty)' : item.value;
            const share = (item.count / top) * 100;
            return (
              <li key={item.value} className="facet-value">
                <button
                  type="button"
                  className="facet-include"
                  aria-label={`Include ${facet.field} ${label}`}
                  title={`${label}: ${item.count.toLocaleString('en-US')} rows`}
                  onClick={() => onFilter(facet.field, item.value, false)}
                >
                  <span className="facet-bar" style={{ width: `${Math.min(100, share)}%` }} aria-hidden="true" />
                  <span className={item.value === '' ? 'facet-label muted' : 'facet-label'}>{label}</span>
                  <span className="facet-count">{item.count.toLocaleString('en-US')}</span>
                </button>
                <button
                  type="button"
                  className="facet-exclude"
                  aria-label={`Exclude ${facet.field} ${label}`}
                  title={`Hide ${label}`}
                  onClick={() => onFilter(facet.field, item.value, true)}
                >
                  −
                </button>
              </li>
            );
          })}
          {facet.values.length > SHOWN && (
            <li>
              <button type="button" className="facet-more" onClick={() => setAll(!all)}>
                {all ? 'Show fewer' : `Show ${facet.values.length - SHOWN} more`}
              </button>
            </li>
          )}
        </ul>
      )}
    </section>
  );
}

import { Fragment, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { ErrorMessage, Loading } from '../components';
import { parseSearchState, toSearchParams } from '../searchState';
import type { TimeWindow } from '../time';
import { traceApi, type Pattern, type SourceWithColumns } from '../traceApi';
import type { Source } from '../types';
import { patternSearch } from './filters';
import { useLoad } from '../ui/useLoad';
import '../styles/trace.css';

export interface PatternsViewProps {
  source: Source;
  query: string;
  language: 'lucene' | 'sql';
  window: TimeWindow;
  onFilter: (field: string, value: string, exclude: boolean) => void;
}


const WILDCARD = '<*>';

/** A template with its variable parts marked; all of it rendered as text. */
function Template({ pattern }: { pattern: string }) {
  const parts = pattern.split(WILDCARD);
  return (
    <code className="pattern-template">
      {parts.map((part, index) => (
        <Fragment key={index}>
          {part}
          {index < parts.length - 1 && (
            <span className="pattern-wild" title="varies">
              {WILDCARD}
            </span>
          )}
        </Fragment>
      ))}
    </code>
  );
}

/** Event patterns: the matching rows' bodies grouped into templates, most frequent first. */
export function PatternsView({ source, query, language, window, onFilter }: PatternsViewProps) {
  // The key reloads the patterns whenever the search changes; the previous request is aborted.
  const scope = { source_id: source.id, query, language, start: window.start, end: window.end };
  const { state } = useLoad((signal) => traceApi.patterns(scope, signal), JSON.stringify(scope));

  if (state.kind === 'loading') return <Loading what="patterns" />;
  if (state.kind === 'error') return <ErrorMessage message={state.message} />;
  const answer = state.value;
  if (answer.total === 0 || answer.patterns.length === 0) {
    return <p className="muted pattern-empty">No events match, so there are no patterns to show.</p>;
  }
  return (
    <section className="pattern-view" aria-label="Event patterns">
      <p className="pattern-summary" data-testid="pattern-summary">
        {answer.patterns.length.toLocaleString('en-US')} {answer.patterns.length === 1 ? 'pattern' : 'patterns'} in{' '}
        {answer.total.toLocaleString('en-US')} events
        {answer.sampled && (
          <span className="muted">
            {' '}
            · mined from the newest {answer.sampled_rows.toLocaleString('en-US')}; counts are scaled to all of them
          </span>
        )}
      </p>
      <table className="pattern-table">
        <thead>
          <tr>
            <th scope="col" className="pattern-num">
              Count
            </th>
            <th scope="col" className="pattern-share-head">
              Share
            </th>
            <th scope="col">Pattern</th>
            <th scope="col">
              <span className="pattern-sr">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {answer.patterns.map((pattern, index) => (
            <PatternRow
              key={`${index}:${pattern.pattern}`}
              pattern={pattern}
              total={answer.total}
              source={source}
              query={query}
              language={language}
              onFilter={onFilter}
            />
          ))}
        </tbody>
      </table>
    </section>
  );
}

interface PatternRowProps {
  pattern: Pattern;
  total: number;
  source: Source;
  query: string;
  language: 'lucene' | 'sql';
  onFilter: PatternsViewProps['onFilter'];
}

function PatternRow({ pattern, total, source, query, language, onFilter }: PatternRowProps) {
  const [open, setOpen] = useState(false);
  const [params] = useSearchParams();
  const share = total > 0 ? (pattern.count / total) * 100 : 0;
  // A pattern without variable parts is one exact body: an equality filter finds exactly those rows.
  const exact = !pattern.pattern.includes(WILDCARD) && pattern.examples.includes(pattern.pattern);
  const narrowed = patternSearch(query, language, pattern.pattern, source as SourceWithColumns);
  const link =
    narrowed === null
      ? null
      : `?${toSearchParams({ ...parseSearchState(params), query: narrowed, view: 'results', row: null }).toString()}`;
  return (
    <>
      <tr className="pattern-row">
        <td className="pattern-num">{pattern.count.toLocaleString('en-US')}</td>
        <td className="pattern-share">
          <span className="pattern-track" aria-hidden="true">
            <span className="pattern-share-bar" style={{ width: `${Math.min(100, share)}%` }} />
          </span>
          <span className="pattern-share-text">{share < 0.1 ? '<0.1' : share.toFixed(share < 10 ? 1 : 0)}%</span>
        </td>
        <td>
          <button
            type="button"
            className="pattern-toggle"
            aria-expanded={open}
            aria-label={`Examples of ${pattern.pattern}`}
            onClick={() => setOpen(!open)}
          >
            <span aria-hidden="true">{open ? '▾' : '▸'}</span>
          </button>
          <Template pattern={pattern.pattern} />
        </td>
        <td className="pattern-actions">
          {exact ? (
            <button type="button" className="secondary small" onClick={() => onFilter('body', pattern.pattern, false)}>
              Show rows
            </button>
          ) : (
            link !== null && (
              <Link to={link} className="pattern-link" title="Search for rows containing the fixed parts of this pattern">
                Show rows
              </Link>
            )
          )}
        </td>
      </tr>
      {open && (
        <tr className="pattern-examples">
          <td colSpan={4}>
            <p className="muted">Examples (newest first):</p>
            <ul>
              {pattern.examples.map((example, i) => (
                <li key={i}>
                  <pre>{example}</pre>
                </li>
              ))}
            </ul>
          </td>
        </tr>
      )}
    </>
  );
}

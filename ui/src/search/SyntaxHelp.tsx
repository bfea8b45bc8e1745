/** The search language at a glance, next to the query box; clicking an example puts it in the box. */
import { useRef } from 'react';
import type { Language } from '../searchState';
import { useDismiss } from '../ui/usePopover';

const LUCENE: [string, string][] = [
  ['timeout', 'the body has the whole word, any case; several words: all of them'],
  ['"connection refused"', 'the phrase, any case'],
  ['auth-*', 'words matching a pattern (* any text, ? one character)'],
  ['service:api', 'the field contains "api", any case'],
  ['service:"api"', 'the field is exactly "api"'],
  ['user.id:*', 'the field is present (-user.id:* : missing)'],
  ['http.status_code:>=500', 'compare numbers: > >= < <='],
  ['duration:[100 TO 500]', 'a range, inclusive ({…} exclusive, * open); duration in ms'],
  ['level:(error OR warn)', 'either value of one field'],
  ['a AND b, a OR b, NOT a, -a', 'logic; words side by side mean AND'],
];

const SQL: [string, string][] = [
  ["ServiceName = 'checkout'", 'a ClickHouse condition on the source’s columns'],
  ["SeverityText IN ('ERROR', 'WARN')", 'one of several values'],
  ["LogAttributes['http.route'] LIKE '/api/%'", 'an attribute, by its map and key'],
  ['Duration > 1e9', 'spans longer than a second (Duration is in ns)'],
  ["Body ILIKE '%timeout%'", 'text anywhere in the body, any case'],
];

interface Props {
  language: Language;
  onExample: (example: string) => void;
  onClose: () => void;
}

export function SyntaxHelp({ language, onExample, onClose }: Props) {
  // The area kept open is the help's wrapper, which holds the button that toggles it too.
  const area = useRef<HTMLElement | null>(null);
  useDismiss(area, true, onClose);
  const rows = language === 'sql' ? SQL : LUCENE;
  return (
    <div
      className="search-popover search-help"
      role="dialog"
      aria-label="Search syntax"
      ref={(element) => {
        area.current = element?.parentElement ?? null;
      }}
    >
      <h2>{language === 'sql' ? 'SQL mode' : 'Search syntax'}</h2>
      <table>
        <tbody>
          {rows.map(([example, meaning]) => (
            <tr key={example}>
              <td>
                {example.includes(',') && language === 'lucene' ? (
                  <code>{example}</code>
                ) : (
                  <button type="button" className="search-linklike" onClick={() => onExample(example)}>
                    <code>{example}</code>
                  </button>
                )}
              </td>
              <td>{meaning}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small-print">
        {language === 'sql'
          ? 'One WHERE expression: no ;, subqueries, comments or table functions. It runs inside the time range, read-only.'
          : 'Fields: columns (ServiceName), aliases (level, service, body, trace_id, duration, status), map paths (LogAttributes.http.route) or attribute names alone (http.status_code).'}
      </p>
    </div>
  );
}

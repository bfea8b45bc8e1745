/**
 * The query box: the search language or SQL, field-name completion while typing, a syntax help
 * popover, and the server's message right under the box when it refuses the query.
 */
import { useEffect, useId, useMemo, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import type { Language } from '../searchState';
import { applyCompletion, completionToken, suggest, type Candidate } from './completion';
import { SyntaxHelp } from './SyntaxHelp';

export interface QueryError {
  message: string;
  /** Where in the query the server found the problem, when it said. */
  position?: number;
}

interface Props {
  query: string;
  language: Language;
  /** Logs and spans get different examples in the empty box. */
  sourceKind: string;
  error: QueryError | null;
  /** Field names to complete, for each language (the box may be switched before searching). */
  candidates: Record<Language, Candidate[]>;
  /** Called the first time the box gets focus for a source: a chance to load field names. */
  onWantCandidates: () => void;
  onSubmit: (query: string, language: Language) => void;
  /** Controls placed between the box and the Search button (the time picker). */
  children?: ReactNode;
  leading?: ReactNode;
}

function placeholder(language: Language, sourceKind: string): string {
  if (sourceKind === 'trace') {
    return language === 'sql'
      ? "SQL condition, e.g. ServiceName = 'checkout' AND Duration > 5e8"
      : 'Search spans, e.g. status:error duration:>500 service:checkout';
  }
  return language === 'sql'
    ? "SQL condition, e.g. ServiceName = 'checkout' AND SeverityText = 'ERROR'"
    : 'Search, e.g. level:error "payment failed" service:checkout';
}

export function QueryBar({ query, language, sourceKind, error, candidates, onWantCandidates, onSubmit, children, leading }: Props) {
  const [draft, setDraft] = useState(query);
  const [draftLanguage, setDraftLanguage] = useState<Language>(language);
  const [caret, setCaret] = useState(0);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const [help, setHelp] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const listId = useId();

  // The box follows the URL (back/forward, a shared link, a facet click).
  useEffect(() => setDraft(query), [query]);
  useEffect(() => setDraftLanguage(language), [language]);

  const token = useMemo(() => completionToken(draft, caret, draftLanguage), [draft, caret, draftLanguage]);
  const options = useMemo(() => (token ? suggest(token.prefix, candidates[draftLanguage]) : []), [token, candidates, draftLanguage]);
  const showList = open && options.length > 0;

  function accept(candidate: Candidate) {
    if (!token) return;
    const next = applyCompletion(draft, token, candidate.label, draftLanguage);
    setDraft(next.text);
    setOpen(false);
    setActive(-1);
    requestAnimationFrame(() => {
      input.current?.focus();
      input.current?.setSelectionRange(next.caret, next.caret);
      setCaret(next.caret);
    });
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>) {
    if (!showList) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      // -1 is "none chosen": the cycle runs none → first … last → none.
      setActive((current) => {
        const next = current + step;
        if (next < -1) return options.length - 1;
        return next >= options.length ? -1 : next;
      });
    } else if ((event.key === 'Enter' || event.key === 'Tab') && active >= 0 && active < options.length) {
      event.preventDefault();
      const chosen = options[active];
      if (chosen) accept(chosen);
    } else if (event.key === 'Escape') {
      event.preventDefault();
      setOpen(false);
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    setOpen(false);
    onSubmit(draft.trim(), draftLanguage);
  }

  return (
    <form className="search-bar search-querybar" onSubmit={submit} role="search">
      {leading}
      <select
        aria-label="Query language"
        className="search-language"
        value={draftLanguage}
        onChange={(e) => {
          const next = e.target.value === 'sql' ? 'sql' : 'lucene';
          setDraftLanguage(next);
          // With an empty box there is nothing to rewrite: switch at once.
          if (draft.trim() === '') onSubmit('', next);
        }}
        title="Search language: HyperDX's Lucene-like language, or a ClickHouse SQL condition"
      >
        <option value="lucene">Lucene</option>
        <option value="sql">SQL</option>
      </select>
      <div className="search-query-wrap">
        <input
          ref={input}
          className="query"
          aria-label="Search query"
          role="combobox"
          aria-autocomplete="list"
          aria-expanded={showList}
          aria-controls={listId}
          aria-activedescendant={showList && active >= 0 ? `${listId}-${active}` : undefined}
          aria-invalid={error !== null}
          aria-describedby={error ? 'query-error' : undefined}
          placeholder={placeholder(draftLanguage, sourceKind)}
          value={draft}
          spellCheck={false}
          autoComplete="off"
          onFocus={onWantCandidates}
          onChange={(e) => {
            setDraft(e.target.value);
            setCaret(e.target.selectionStart ?? e.target.value.length);
            setOpen(true);
            setActive(-1);
          }}
          onSelect={(e) => setCaret(e.currentTarget.selectionStart ?? 0)}
          onKeyDown={onKeyDown}
          onBlur={() => setOpen(false)}
        />
        {showList && (
          <ul className="search-completions" id={listId} role="listbox" aria-label="Field names">
            {options.map((option, index) => (
              <li
                key={option.label}
                id={`${listId}-${index}`}
                role="option"
                aria-selected={index === active}
                className={index === active ? 'active' : undefined}
                // mousedown, not click: the box keeps focus (its blur would close the list first).
                onMouseDown={(e) => {
                  e.preventDefault();
                  accept(option);
                }}
              >
                <span>{option.label}</span>
                <span className="muted">{option.detail}</span>
              </li>
            ))}
          </ul>
        )}
        {error && (
          <div id="query-error" className="error query-error search-query-error" role="alert">
            <span>{error.message}</span>
            {error.position !== undefined && error.position >= 0 && error.position <= query.length && (
              <span className="search-error-where" aria-hidden="true">
                {query.slice(Math.max(0, error.position - 30), error.position)}
                <mark>{query.slice(error.position, error.position + 1) || ' '}</mark>
                {query.slice(error.position + 1, error.position + 30)}
              </span>
            )}
          </div>
        )}
      </div>
      <div className="search-help-wrap">
        <button
          type="button"
          className="secondary search-icon-button"
          aria-label="Search syntax help"
          aria-expanded={help}
          onClick={() => setHelp((v) => !v)}
        >
          ?
        </button>
        {help && (
          <SyntaxHelp
            language={draftLanguage}
            onClose={() => setHelp(false)}
            onExample={(example) => {
              setDraft(example);
              setHelp(false);
              input.current?.focus();
            }}
          />
        )}
      </div>
      {children}
      <button type="submit">Search</button>
    </form>
  );
}

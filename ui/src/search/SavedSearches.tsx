/**
 * Saved searches (the team's, `/api/team/saved-searches`): open, save, save as, rename, delete; and
 * Share, which hands out the page's URL: it holds the whole search, so the link is the share.
 */
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { CopyButton } from '../components';
import { searchApi, type SavedSearch, type SavedSearchInput } from '../searchApi';
import type { SearchState } from '../searchState';
import { usePopoverOf } from '../ui/usePopover';

interface Props {
  state: SearchState;
  sourceId: number;
  /** What to store for the current search (name aside). */
  current: Omit<SavedSearchInput, 'name'>;
  onOpen: (saved: SavedSearch) => void;
  /** The current search is now stored as `saved` (or, with null, no longer is). */
  onSaved: (saved: SavedSearch | null) => void;
}

type Dialog = 'list' | 'save-as' | 'rename' | 'share';

/** Whether the page still shows what `saved` holds. */
export function matchesSaved(saved: SavedSearch, current: Omit<SavedSearchInput, 'name'>): boolean {
  return (
    saved.source_id === current.source_id &&
    saved.query === current.query &&
    saved.language === current.language &&
    (saved.select ?? null) === (current.select ?? null) &&
    (saved.time_range ?? null) === (current.time_range ?? null)
  );
}

export function SavedSearches({ state, current, onOpen, onSaved }: Props) {
  const [list, setList] = useState<SavedSearch[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const { open: dialog, setOpen: setDialog, ref: wrap } = usePopoverOf<Dialog>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);

  const load = useCallback(() => {
    searchApi.savedSearches().then(
      (all) => {
        setList(all);
        setListError(null);
      },
      (err: Error) => setListError(err.message),
    );
  }, []);
  useEffect(load, [load]);

  const open = state.saved !== null ? (list?.find((s) => s.id === state.saved) ?? null) : null;
  const modified = open !== null && !matchesSaved(open, current);

  async function run(action: () => Promise<SavedSearch | null>, done: string) {
    setBusy(true);
    setError(null);
    try {
      const result = await action();
      onSaved(result);
      setDialog(null);
      setNote(done);
      load();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  }

  const toggle = (which: Dialog) => {
    setError(null);
    setNote(null);
    setDialog((d) => (d === which ? null : which));
  };

  return (
    <div className="search-saved" ref={wrap}>
      <h1 className="search-title">
        {open ? open.name : 'Search'}
        {modified && <span className="search-modified">modified</span>}
      </h1>
      <div className="search-saved-actions">
        <button type="button" className="secondary small" aria-expanded={dialog === 'list'} onClick={() => toggle('list')}>
          Saved searches
        </button>
        {open ? (
          <>
            <button
              type="button"
              className="small"
              disabled={busy || !modified}
              onClick={() => void run(() => searchApi.updateSaved(open.id, current), 'Saved.')}
            >
              Save
            </button>
            <button type="button" className="secondary small" onClick={() => toggle('save-as')}>
              Save as…
            </button>
            <button type="button" className="secondary small" onClick={() => toggle('rename')}>
              Rename
            </button>
          </>
        ) : (
          <button type="button" className="secondary small" onClick={() => toggle('save-as')}>
            Save…
          </button>
        )}
        <button type="button" className="secondary small" aria-expanded={dialog === 'share'} onClick={() => toggle('share')}>
          Share
        </button>
        {note && (
          <span className="muted small-print" role="status">
            {note}
          </span>
        )}
      </div>
      {dialog === 'list' && (
        <Popover label="Saved searches">
          {listError ? (
            <p className="error" role="alert">
              {listError}
            </p>
          ) : list === null ? (
            <p className="muted" role="status">
              Loading saved searches…
            </p>
          ) : list.length === 0 ? (
            <p className="muted">No saved searches yet. Search, then Save.</p>
          ) : (
            <SavedList
              list={list}
              currentId={state.saved}
              onOpen={(saved) => {
                setDialog(null);
                onOpen(saved);
              }}
              onDelete={(saved) =>
                void run(async () => {
                  await searchApi.deleteSaved(saved.id);
                  return saved.id === state.saved ? null : open;
                }, `Deleted “${saved.name}”.`)
              }
            />
          )}
          {error && (
            <p className="error small-print" role="alert">
              {error}
            </p>
          )}
        </Popover>
      )}
      {(dialog === 'save-as' || dialog === 'rename') && (
        <NameForm
          key={dialog}
          title={dialog === 'rename' ? 'Rename the saved search' : 'Save this search'}
          initial={dialog === 'rename' && open ? open.name : ''}
          busy={busy}
          error={error}
          onCancel={() => setDialog(null)}
          onSubmit={(name) =>
            dialog === 'rename' && open
              ? void run(() => searchApi.updateSaved(open.id, { name }), 'Renamed.')
              : void run(() => searchApi.createSaved({ ...current, name }), 'Saved.')
          }
        />
      )}
      {dialog === 'share' && (
        <Popover label="Share this search">
          <p className="small-print">The link opens this search as you see it: query, time range, columns and open row.</p>
          <div className="search-share">
            <input
              readOnly
              aria-label="Link to this search"
              value={window.location.href}
              onFocus={(e) => e.currentTarget.select()}
            />
            <CopyButton text={window.location.href} label="Copy link" />
          </div>
        </Popover>
      )}
    </div>
  );
}

function Popover({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="search-popover search-saved-dialog" role="dialog" aria-label={label}>
      {children}
    </div>
  );
}

function SavedList({
  list,
  currentId,
  onOpen,
  onDelete,
}: {
  list: SavedSearch[];
  currentId: number | null;
  onOpen: (saved: SavedSearch) => void;
  onDelete: (saved: SavedSearch) => void;
}) {
  const [confirming, setConfirming] = useState<number | null>(null);
  return (
    <ul className="search-saved-list">
      {list.map((saved) => (
        <li key={saved.id} className={saved.id === currentId ? 'current' : undefined}>
          <button type="button" className="search-linklike" onClick={() => onOpen(saved)}>
            {saved.name}
          </button>
          <code className="muted" title={saved.query}>
            {saved.query || '(everything)'}
          </code>
          {confirming === saved.id ? (
            <button type="button" className="small search-danger" onClick={() => onDelete(saved)}>
              Delete “{saved.name}”
            </button>
          ) : (
            <button
              type="button"
              className="secondary small"
              aria-label={`Delete ${saved.name}`}
              onClick={() => setConfirming(saved.id)}
            >
              Delete
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}

function NameForm(props: {
  title: string;
  initial: string;
  busy: boolean;
  error: string | null;
  onSubmit: (name: string) => void;
  onCancel: () => void;
}) {
  const [name, setName] = useState(props.initial);
  return (
    <div className="search-popover search-saved-dialog" role="dialog" aria-label={props.title}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim() !== '') props.onSubmit(name.trim());
        }}
      >
        <label className="search-field">
          Name
          <input autoFocus value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
        </label>
        <div className="search-form-actions">
          <button type="submit" className="small" disabled={props.busy || name.trim() === ''}>
            Save
          </button>
          <button type="button" className="secondary small" onClick={props.onCancel}>
            Cancel
          </button>
        </div>
        {props.error && (
          <p className="error small-print" role="alert">
            {props.error}
          </p>
        )}
      </form>
    </div>
  );
}

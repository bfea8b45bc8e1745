import { useEffect, useState, type FormEvent } from 'react';
import { useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { api } from '../api';
import { ErrorMessage, Loading } from '../components';
import { TraceView } from '../trace/TraceView';
import { failure, sourceRole } from '../traceApi';
import type { Source } from '../types';
import '../styles/trace.css';

type Sources = { kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ready'; sources: Source[] };

/** The log source to read a trace's logs from: the first log source that names a trace id column. */
export function logSourceFor(sources: Source[]): Source | undefined {
  const logs = sources.filter((s) => s.kind === 'log');
  return logs.find((s) => sourceRole(s, 'trace_id') !== undefined) ?? logs[0];
}

/** /trace/:traceId?source=<id>: one trace as a waterfall, with its spans' details and its logs. */
export function TracePage() {
  const { traceId = '' } = useParams();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const [sources, setSources] = useState<Sources>({ kind: 'loading' });
  const [other, setOther] = useState('');
  const wanted = Number(params.get('source'));

  useEffect(() => {
    let live = true;
    api.sources().then(
      (all) => live && setSources({ kind: 'ready', sources: all }),
      (err: unknown) => live && setSources({ kind: 'error', message: failure(err) ?? 'The sources could not be read.' }),
    );
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    document.title = `Trace ${traceId.slice(0, 8)} · otelhouse`;
  }, [traceId]);

  const open = (event: FormEvent) => {
    event.preventDefault();
    const id = other.trim().toLowerCase();
    if (id !== '') navigate(`/trace/${encodeURIComponent(id)}${params.get('source') ? `?source=${params.get('source')}` : ''}`);
  };

  let body;
  if (sources.kind === 'loading') {
    body = <Loading what="sources" />;
  } else if (sources.kind === 'error') {
    body = <ErrorMessage message={sources.message} />;
  } else {
    const traces = sources.sources.filter((s) => s.kind === 'trace');
    const source = traces.find((s) => s.id === wanted) ?? traces[0];
    body =
      source === undefined ? (
        <p className="muted">The team has no trace source: an admin can add one under Team → Sources.</p>
      ) : (
        <>
          {traces.length > 1 && (
            <label className="trace-source-pick">
              Source{' '}
              <select
                value={source.id}
                onChange={(event) => navigate(`/trace/${encodeURIComponent(traceId)}?source=${event.target.value}`)}
              >
                {traces.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <TraceView key={`${source.id}/${traceId}`} source={source} traceId={traceId} logSource={logSourceFor(sources.sources)} />
        </>
      );
  }

  return (
    <section className="page trace-page">
      <header className="trace-page-head">
        <h1>
          Trace <code className="trace-id">{traceId}</code>
        </h1>
        <form className="trace-open" onSubmit={open}>
          <input
            aria-label="Trace id to open"
            placeholder="Another trace id"
            value={other}
            onChange={(event) => setOther(event.target.value)}
            spellCheck={false}
          />
          <button type="submit" className="secondary small">
            Open
          </button>
        </form>
      </header>
      {body}
    </section>
  );
}

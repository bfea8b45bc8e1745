import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { api } from '../api';
import { CopyButton, ErrorMessage, Loading } from '../components';
import { DEFAULT_PORTS, defaultEndpoints, exportLines, type OtlpPorts } from '../endpoints';
import { shellQuote } from '../format';
import { useSession } from '../session';
import type { IngestionKey } from '../types';

type KeyState =
  | { kind: 'loading' }
  | { kind: 'error'; message: string }
  | { kind: 'none' }
  | { kind: 'hidden'; key: IngestionKey }
  | { kind: 'shown'; key: IngestionKey; secret: string };

/** The key to offer: the newest one that works and can be revealed. */
function usableKey(keys: IngestionKey[]): IngestionKey | undefined {
  return keys.find((key) => (key.status === 'active' || key.status === 'expiring') && key.revealable);
}

export function GettingStartedPage() {
  const { me } = useSession();
  const isAdmin = me.team.role === 'admin';
  const [ports, setPorts] = useState<OtlpPorts>(DEFAULT_PORTS);
  const endpoints = defaultEndpoints(window.location, ports);
  const [state, setState] = useState<KeyState>({ kind: 'loading' });
  const [revealError, setRevealError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    // The defaults stay shown if this fails: the page is still useful without the exact ports.
    api.otlpPorts().then((found) => live && setPorts(found), () => undefined);
    return () => {
      live = false;
    };
  }, []);

  useEffect(() => {
    if (!isAdmin) return;
    let live = true;
    api.ingestionKeys().then(
      (keys) => {
        if (!live) return;
        const key = usableKey(keys);
        setState(key ? { kind: 'hidden', key } : { kind: 'none' });
      },
      (err: Error) => live && setState({ kind: 'error', message: err.message }),
    );
    return () => {
      live = false;
    };
  }, [isAdmin]);

  async function reveal(key: IngestionKey) {
    setRevealError(null);
    try {
      const answer = await api.revealKey(key.id);
      setState({ kind: 'shown', key: answer.key, secret: answer.secret });
    } catch (err) {
      setRevealError(err instanceof Error ? err.message : String(err));
    }
  }

  const secret = state.kind === 'shown' ? state.secret : '<your ingestion key>';
  const snippet = exportLines(endpoints.http, secret, shellQuote);

  return (
    <section className="page narrow">
      <h1>Send your first data</h1>
      <p>
        otelhouse receives OpenTelemetry logs, traces and metrics over OTLP. Point any OpenTelemetry SDK or
        Collector at one of these endpoints, with the team's ingestion key in the <code>authorization</code> header.
      </p>

      <h2>Endpoints</h2>
      <dl className="facts">
        <dt>OTLP/HTTP</dt>
        <dd>
          <code data-testid="otlp-http">{endpoints.http}</code>
        </dd>
        <dt>OTLP/gRPC</dt>
        <dd>
          <code data-testid="otlp-grpc">{endpoints.grpc}</code>
        </dd>
      </dl>
      <p className="muted small-print">
        The receivers' ports on the host you opened this page on; behind a proxy or a load balancer, use the
        address it publishes instead.
      </p>

      <h2>Ingestion key</h2>
      {!isAdmin && (
        <p>
          Only admins of <strong>{me.team.name}</strong> can see the team's ingestion keys. Ask one of them for a key.
        </p>
      )}
      {isAdmin && state.kind === 'loading' && <Loading what="the team's ingestion keys" />}
      {isAdmin && state.kind === 'error' && <ErrorMessage message={state.message} />}
      {isAdmin && state.kind === 'none' && (
        <p>
          The team has no working ingestion key that can be shown. Make one with <code>otelhouse keys create</code> or{' '}
          <code>POST api/team/ingestion-keys</code>.
        </p>
      )}
      {isAdmin && (state.kind === 'hidden' || state.kind === 'shown') && (
        <div className="key-box">
          <div>
            <span className="muted">Key “{state.key.name}”</span>{' '}
            {state.kind === 'shown' ? (
              <code data-testid="ingestion-key">{state.secret}</code>
            ) : (
              <code>{state.key.prefix}…</code>
            )}
          </div>
          {state.kind === 'hidden' ? (
            <button type="button" onClick={() => void reveal(state.key)}>
              Show key
            </button>
          ) : (
            <CopyButton text={state.secret} label="Copy key" />
          )}
        </div>
      )}
      {revealError && <ErrorMessage message={revealError} />}

      <h2>Paste into your shell</h2>
      <div className="snippet">
        <pre data-testid="export-snippet">{snippet}</pre>
        {state.kind === 'shown' && <CopyButton text={snippet} />}
      </div>
      <p className="muted small-print">
        For OTLP/gRPC use <code>{endpoints.grpc}</code> as the endpoint and set{' '}
        <code>OTEL_EXPORTER_OTLP_PROTOCOL=grpc</code>. The header may hold the key bare or as{' '}
        <code>Bearer &lt;key&gt;</code>.
      </p>

      <h2>Then</h2>
      <p>
        Start your program, and find what it sends on the <Link to="/search">Search</Link> page.
      </p>
    </section>
  );
}

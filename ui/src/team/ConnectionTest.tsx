/** The outcome of "Test connection", shown next to the button that asked. */
import type { ConnectionTest } from '../teamApi';

export type TestState = { kind: 'running' } | { kind: 'done'; result: ConnectionTest } | { kind: 'failed'; message: string };

function testText(result: ConnectionTest): string {
  if (result.embedded) return `Connected: the server's own ClickHouse is ready (${result.elapsed_ms} ms).`;
  return `Connected to ClickHouse ${result.version ?? ''} in ${result.elapsed_ms} ms.`;
}

export function TestResultLine({ state }: { state: TestState | undefined }) {
  if (!state) return null;
  if (state.kind === 'running')
    return (
      <span className="muted" role="status">
        Testing…
      </span>
    );
  if (state.kind === 'failed')
    return (
      <span className="error team-test" role="alert">
        ✗ {state.message}
      </span>
    );
  return (
    <span className="ok team-test" role="status">
      ✓ {testText(state.result)}
    </span>
  );
}

/** The OTLP endpoints senders should use, as far as the browser can tell. */

export interface OtlpEndpoints {
  http: string;
  grpc: string;
}

/**
 * The browser knows only the host it opened; the receivers listen on their own ports (4318 for
 * OTLP/HTTP and 4317 for OTLP/gRPC unless the server was started with other OTELHOUSE_OTLP_*_PORT).
 */
export function defaultEndpoints(location: { protocol: string; hostname: string }): OtlpEndpoints {
  const host = location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname;
  const scheme = location.protocol === 'https:' ? 'https' : 'http';
  return { http: `${scheme}://${host}:4318`, grpc: `${scheme}://${host}:4317` };
}

/** The lines to paste into a shell before starting an instrumented program. */
export function exportLines(endpoint: string, key: string, quote: (value: string) => string): string {
  return [
    `export OTEL_EXPORTER_OTLP_ENDPOINT=${quote(endpoint)}`,
    `export OTEL_EXPORTER_OTLP_HEADERS=${quote(`authorization=${key}`)}`,
  ].join('\n');
}

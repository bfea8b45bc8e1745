/** The OTLP endpoints senders should use, as far as the browser can tell. */

export interface OtlpEndpoints {
  http: string;
  grpc: string;
}

/** The receivers' ports as the server reports them (`GET api/ingest/endpoints`). */
export interface OtlpPorts {
  otlp_http_port: number;
  otlp_grpc_port: number;
}

export const DEFAULT_PORTS: OtlpPorts = { otlp_http_port: 4318, otlp_grpc_port: 4317 };

/**
 * The host people opened the UI on, with the receivers' own ports (the server's, once known; the
 * defaults 4318 and 4317 until then).
 */
export function defaultEndpoints(
  location: { protocol: string; hostname: string },
  ports: OtlpPorts = DEFAULT_PORTS,
): OtlpEndpoints {
  const host = location.hostname.includes(':') ? `[${location.hostname}]` : location.hostname;
  const scheme = location.protocol === 'https:' ? 'https' : 'http';
  return { http: `${scheme}://${host}:${ports.otlp_http_port}`, grpc: `${scheme}://${host}:${ports.otlp_grpc_port}` };
}

/** The lines to paste into a shell before starting an instrumented program. */
export function exportLines(endpoint: string, key: string, quote: (value: string) => string): string {
  return [
    `export OTEL_EXPORTER_OTLP_ENDPOINT=${quote(endpoint)}`,
    `export OTEL_EXPORTER_OTLP_HEADERS=${quote(`authorization=${key}`)}`,
  ].join('\n');
}

/** The HTTP API client: JSON in and out, the session cookie, and errors as messages. */
import { appUrl } from './base';
import type { OtlpPorts } from './endpoints';
import type {
  AuthStatus,
  IngestionKey,
  IngestionKeySecret,
  Me,
  PasswordVerdict,
  RowsRequest,
  RowsResponse,
  Source,
} from './types';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly position: number | undefined;

  constructor(status: number, message: string, code = 'error', field?: string, position?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.position = position;
  }
}

/** The ApiError an answer's status and body mean: `{"error": {"message", …}}` when the server sent one. */
export function errorFrom(status: number, body: unknown, statusText = ''): ApiError {
  if (typeof body === 'object' && body !== null && 'error' in body) {
    const error = (body as { error: unknown }).error;
    if (typeof error === 'object' && error !== null) {
      const e = error as Record<string, unknown>;
      const message = typeof e.message === 'string' && e.message !== '' ? e.message : fallbackMessage(status, statusText);
      return new ApiError(
        status,
        message,
        typeof e.code === 'string' ? e.code : 'error',
        typeof e.field === 'string' ? e.field : undefined,
        typeof e.position === 'number' ? e.position : undefined,
      );
    }
  }
  return new ApiError(status, fallbackMessage(status, statusText));
}

function fallbackMessage(status: number, statusText: string): string {
  if (status === 0) return 'The server could not be reached. Is otelhouse running?';
  if (status >= 500) return `The server failed (${status}${statusText ? ` ${statusText}` : ''}). Try again shortly.`;
  return `The request failed (${status}${statusText ? ` ${statusText}` : ''}).`;
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called when any request answers 401: the session ended, so the app shows the login page. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
  /** Leave 401 to the caller (login, status) instead of telling the app the session ended. */
  quiet401?: boolean;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const init: RequestInit = {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
  };
  if (options.signal) init.signal = options.signal;
  if (options.body !== undefined) {
    init.headers = { accept: 'application/json', 'content-type': 'application/json' };
    init.body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(appUrl(`api/${path.replace(/^\/+/, '')}`), init);
  } catch (err) {
    if (err instanceof DOMException && err.name === 'AbortError') throw err;
    throw new ApiError(0, fallbackMessage(0, ''));
  }
  const text = await response.text();
  let body: unknown = undefined;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
  }
  if (!response.ok) {
    if (response.status === 401 && !options.quiet401) unauthorizedListeners.forEach((listener) => listener());
    throw errorFrom(response.status, body, response.statusText);
  }
  return body as T;
}

export const api = {
  authStatus: () => request<AuthStatus>('auth/status', { quiet401: true }),
  passwordCheck: (password: string, email: string, name: string, signal?: AbortSignal) =>
    request<PasswordVerdict>('auth/password-check', { body: { password, email, name }, signal, quiet401: true }),
  register: (email: string, name: string, password: string) =>
    request<Me>('auth/register', { body: { email, name, password }, quiet401: true }),
  login: (email: string, password: string) => request<Me>('auth/login', { body: { email, password }, quiet401: true }),
  logout: () => request<void>('auth/logout', { method: 'POST', quiet401: true }),
  me: () => request<Me>('me', { quiet401: true }),
  switchTeam: (teamId: number) => request<Me>('me/team', { body: { team_id: teamId } }),
  sources: () => request<Source[]>('team/sources'),
  ingestionKeys: () => request<IngestionKey[]>('team/ingestion-keys'),
  otlpPorts: () => request<OtlpPorts>('ingest/endpoints'),
  revealKey: (id: number) => request<IngestionKeySecret>(`team/ingestion-keys/${id}/reveal`, { method: 'POST' }),
  searchRows: (body: RowsRequest, signal?: AbortSignal) => request<RowsResponse>('search/rows', { body, signal }),
};

/** The shapes of the API answers the UI uses (see GET /api/openapi.json). */

export type Role = 'admin' | 'member' | 'viewer';

export interface AuthStatus {
  registration_open: boolean;
  logged_in: boolean;
}

export interface PasswordVerdict {
  ok: boolean;
  problems: string[];
  min_length: number;
  max_length: number;
}

export interface Team {
  id: number;
  name: string;
  role: Role;
}

export interface User {
  id: number;
  email: string;
  name: string;
  created_at: string;
  last_login_at: string | null;
}

export interface Me {
  user: User;
  team: Team;
  teams: Team[];
  via: string;
}

export type KeyStatus = 'active' | 'expiring' | 'expired' | 'revoked';

export interface IngestionKey {
  id: number;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  expires_at: string | null;
  status: KeyStatus | string;
  revealable: boolean;
}

export interface IngestionKeySecret {
  key: IngestionKey;
  secret: string;
}

export type SourceKind = 'log' | 'trace' | 'metric' | 'session';

export interface Source {
  id: number;
  name: string;
  kind: SourceKind;
  connection_id: number;
  database: string;
  table: string;
  /** The source's roles (timestamp, body, service, trace_id, …) → column expressions. */
  columns?: Record<string, unknown> | null;
}

export interface RowsRequest {
  source_id: number;
  start?: string;
  end?: string;
  since?: string;
  query: string;
  language?: 'lucene' | 'sql';
  select?: string[];
  order?: 'asc' | 'desc';
  limit?: number;
  cursor?: string;
}

export interface Column {
  name: string;
  type: string;
}

export interface Row {
  id: string;
  values: unknown[];
}

export interface RowsResponse {
  columns: Column[];
  rows: Row[];
  next_cursor: string | null;
  start: string;
  end: string;
  partial: boolean;
  elapsed_ms: number;
}

/** The team settings, account and invitation API: members, invitations, keys, connections, sources. */
import { request } from './api';
import type { IngestionKey, IngestionKeySecret, Me, Role, Source, SourceKind } from './types';

export interface Member {
  user_id: number;
  email: string;
  name: string;
  role: Role;
  joined_at: string;
}

export interface Invitation {
  id: number;
  email: string;
  role: Role;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  revoked_at: string | null;
}

export interface CreatedInvitation {
  invitation: Invitation;
  token: string;
  path: string;
}

/** What an invitation link offers (`GET /api/invitations/{token}`). */
export interface InvitationView {
  team: string;
  role: Role;
  email: string;
  /** Not sent by the server yet (see the report): shown when it is. */
  invited_by?: string;
  expires_at?: string;
}

export interface RotatedIngestionKey extends IngestionKeySecret {
  replaced: IngestionKey;
}

export interface ApiKey {
  id: number;
  team_id: number;
  name: string;
  prefix: string;
  created_at: string;
  last_used_at: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  active: boolean;
}

export interface CreatedApiKey {
  key: ApiKey;
  secret: string;
}

export interface Connection {
  id: number;
  name: string;
  url: string;
  username: string;
  has_password: boolean;
  is_default: boolean;
  created_at: string;
  updated_at: string;
}

export interface ConnectionTest {
  ok: boolean;
  embedded: boolean;
  version: string | null;
  elapsed_ms: number;
}

/** A source as the settings see it: its column expressions always there, and when it changed. */
export interface SourceDetail extends Omit<Source, 'columns'> {
  columns: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface TableRetention {
  database: string;
  table: string;
  exists: boolean;
  engine: string | null;
  ttl: string | null;
  seconds: number | null;
}

export interface SourceRetention {
  source_id: number;
  source_name: string;
  kind: SourceKind;
  connection_id: number;
  tables: TableRetention[];
  error: string | null;
}

export const teamApi = {
  members: (signal?: AbortSignal) => request<Member[]>('team/members', { signal }),
  changeRole: (userId: number, role: Role) =>
    request<Member>(`team/members/${userId}`, { method: 'PATCH', body: { role } }),
  removeMember: (userId: number) => request<void>(`team/members/${userId}`, { method: 'DELETE' }),

  invitations: (signal?: AbortSignal) => request<Invitation[]>('team/invitations', { signal }),
  invite: (email: string, role: Role) => request<CreatedInvitation>('team/invitations', { body: { email, role } }),
  revokeInvitation: (id: number) => request<Invitation>(`team/invitations/${id}`, { method: 'DELETE' }),
  viewInvitation: (token: string, signal?: AbortSignal) =>
    request<InvitationView>(`invitations/${encodeURIComponent(token)}`, { signal, quiet401: true }),
  acceptInvitation: (token: string, account?: { email: string; name: string; password: string }) =>
    request<Me>(`invitations/${encodeURIComponent(token)}/accept`, {
      method: 'POST',
      body: account,
      quiet401: true,
    }),

  ingestionKeys: (signal?: AbortSignal) => request<IngestionKey[]>('team/ingestion-keys', { signal }),
  createIngestionKey: (name: string) => request<IngestionKeySecret>('team/ingestion-keys', { body: { name } }),
  revealIngestionKey: (id: number) =>
    request<IngestionKeySecret>(`team/ingestion-keys/${id}/reveal`, { method: 'POST' }),
  rotateIngestionKey: (id: number, overlapSeconds: number | null) =>
    request<RotatedIngestionKey>(`team/ingestion-keys/${id}/rotate`, {
      body: overlapSeconds === null ? {} : { overlap_seconds: overlapSeconds },
    }),
  revokeIngestionKey: (id: number) => request<IngestionKey>(`team/ingestion-keys/${id}`, { method: 'DELETE' }),

  apiKeys: (signal?: AbortSignal) => request<ApiKey[]>('me/api-keys', { signal }),
  createApiKey: (name: string, expiresAt: string | null) =>
    request<CreatedApiKey>('me/api-keys', { body: { name, expires_at: expiresAt } }),
  revokeApiKey: (id: number) => request<ApiKey>(`me/api-keys/${id}`, { method: 'DELETE' }),

  connections: (signal?: AbortSignal) => request<Connection[]>('team/connections', { signal }),
  createConnection: (body: Record<string, unknown>) => request<Connection>('team/connections', { body }),
  changeConnection: (id: number, body: Record<string, unknown>) =>
    request<Connection>(`team/connections/${id}`, { method: 'PATCH', body }),
  deleteConnection: (id: number) => request<void>(`team/connections/${id}`, { method: 'DELETE' }),
  testConnection: (id: number) => request<ConnectionTest>(`team/connections/${id}/test`, { method: 'POST' }),
  testUnsaved: (body: Record<string, unknown>) => request<ConnectionTest>('team/connections/test', { body }),

  sources: (signal?: AbortSignal) => request<SourceDetail[]>('team/sources', { signal }),
  createSource: (body: Record<string, unknown>) => request<SourceDetail>('team/sources', { body }),
  changeSource: (id: number, body: Record<string, unknown>) =>
    request<SourceDetail>(`team/sources/${id}`, { method: 'PATCH', body }),
  deleteSource: (id: number) => request<void>(`team/sources/${id}`, { method: 'DELETE' }),

  retention: (signal?: AbortSignal) => request<SourceRetention[]>('team/retention', { signal }),
  setRetention: (body: Partial<Record<'logs' | 'traces' | 'metrics' | 'sessions', string>>) =>
    request<TableRetention[]>('team/retention', { method: 'PUT', body }),

  updateProfile: (name: string) => request<Me>('me', { method: 'PATCH', body: { name } }),
  changePassword: (current: string, next: string) =>
    request<void>('me/password', { body: { current_password: current, new_password: next } }),
};

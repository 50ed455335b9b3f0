import type { SandboxStore } from './core/store';

/** The records of the Zendesk sandbox as it stores them, shared by its handlers and its generators. */

export interface ZendeskOrganization {
  id: number;
  name: string;
  domain_names: string[];
  details: string | null;
  notes: string | null;
  group_id: number | null;
  shared_tickets: boolean;
  shared_comments: boolean;
  external_id: string | null;
  tags: string[];
  organization_fields: Record<string, unknown>;
  created_at: string;
  updated_at: string;
  deleted_at: string | null;
}

export interface ZendeskUser {
  id: number;
  name: string;
  email: string;
  role: 'end-user' | 'agent' | 'admin';
  active: boolean;
  suspended: boolean;
  verified: boolean;
  organization_id: number | null;
  phone: string | null;
  time_zone: string;
  locale: string;
  tags: string[];
  user_fields: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

export interface ZendeskAttachment {
  id: number;
  file_name: string;
  /** Stored as a path; presented as an absolute URL on the sandbox. */
  content_url: string;
  content_type: string;
  size: number;
  inline: boolean;
  deleted: boolean;
}

export interface ZendeskComment {
  id: number;
  ticket_id: number;
  type: 'Comment';
  author_id: number;
  body: string;
  html_body: string;
  plain_body: string;
  public: boolean;
  attachments: ZendeskAttachment[];
  audit_id: number;
  via: { channel: string };
  created_at: string;
}

export interface ZendeskTicket {
  id: number;
  external_id: string | null;
  type: 'problem' | 'incident' | 'question' | 'task' | null;
  subject: string;
  raw_subject: string;
  description: string;
  priority: 'urgent' | 'high' | 'normal' | 'low' | null;
  status: 'new' | 'open' | 'pending' | 'hold' | 'solved' | 'closed' | 'deleted';
  requester_id: number;
  submitter_id: number;
  assignee_id: number | null;
  organization_id: number | null;
  group_id: number | null;
  collaborator_ids: number[];
  tags: string[];
  custom_fields: { id: number; value: unknown }[];
  via: { channel: string };
  has_incidents: boolean;
  is_public: boolean;
  created_at: string;
  updated_at: string;
}

export type Stored<T> = T & Record<string, unknown>;

export const zendeskCollections = {
  organizations: (store: SandboxStore) => store.collection<Stored<ZendeskOrganization>>('organizations'),
  users: (store: SandboxStore) => store.collection<Stored<ZendeskUser>>('users'),
  tickets: (store: SandboxStore) => store.collection<Stored<ZendeskTicket>>('tickets'),
  comments: (store: SandboxStore) => store.collection<Stored<ZendeskComment>>('comments'),
  macros: (store: SandboxStore) => store.collection<Stored<ZendeskMacro>>('macros'),
};

/** A macro: canned actions agents apply to tickets; its comment action is the reply text. */
export interface ZendeskMacro {
  id: number;
  title: string;
  description: string | null;
  active: boolean;
  position: number;
  actions: { field: string; value: unknown }[];
  restriction: null | { type: 'Group' | 'User'; id: number };
  created_at: string;
  updated_at: string;
}

/** Custom ticket fields of the seeded account. */
export const ZENDESK_CUSTOM_FIELDS = {
  product: 360001000001,
  region: 360001000002,
  orderNumber: 360001000003,
} as const;

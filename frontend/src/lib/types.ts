// Wire types of the REST API v1 (docs/api.md). Optional fields are the ones
// the contract marks with "?" or that the server omits when empty.

export type Role = 'coordinateur' | 'membre' | 'partenaire';
export type MembershipStatus = 'active' | 'pending';
export type ChannelKind = 'standard' | 'announcement' | 'direct';
export type Visibility = 'public' | 'private';

export interface User {
  id: string;
  email: string;
  name: string;
  profession: string;
  profession_label: string;
  rpps?: string;
  adeli?: string;
  commune?: string;
  admin: boolean;
  created_at: string;
}

export interface MembershipSummary {
  cpts_id: string;
  cpts_name: string;
  role: Role;
  status: MembershipStatus;
}

export interface MeResponse {
  user: User;
  csrf_token: string;
  memberships: MembershipSummary[];
}

export interface LoginResponse {
  user: User;
  csrf_token: string;
}

export interface CPTS {
  id: string;
  name: string;
  department: string;
  communes: string[] | null;
  status: string;
  missions: string[] | null;
  my_role?: Role;
  my_status?: MembershipStatus;
  /** May manage this CPTS: its members, invitations, groups and channels. */
  can_manage: boolean;
}

export interface CPTSRef {
  id: string;
  name: string;
  department?: string;
}

export interface Group {
  id: string;
  name: string;
  description: string;
  owner_cpts_id: string;
  cpts_ids: string[];
  cpts: CPTSRef[] | null;
  inter_cpts: boolean;
  my_role?: Role;
  can_manage: boolean;
}

export interface Channel {
  id: string;
  name: string;
  topic: string;
  kind: ChannelKind;
  visibility: Visibility;
  cpts_id?: string;
  group_id?: string;
  archived: boolean;
  member: boolean;
  can_post: boolean;
  can_manage: boolean;
}

export interface MemberUser {
  id: string;
  name: string;
  profession: string;
  profession_label: string;
  commune?: string;
  email?: string;
}

export interface Member {
  user: MemberUser;
  role: Role;
  status: MembershipStatus;
  created_at: string;
}

export interface Invitation {
  id: string;
  email: string;
  cpts_id: string;
  role: Role;
  created_at: string;
  expires_at: string;
}

export interface InvitationInfo {
  email: string;
  cpts_name: string;
  role: Role;
  invited_by_name: string;
  expires_at: string;
  existing_account: boolean;
}

export interface AcceptResponse {
  user: User;
  csrf_token: string;
  membership: MembershipSummary | { cpts_id: string; role: Role; status: MembershipStatus; cpts_name?: string };
}

export interface ProfessionInfo {
  code: string;
  label: string;
  mention: string;
  health: boolean;
}

export interface Meta {
  professions: ProfessionInfo[];
  missions: { code: string; label: string }[];
  roles: { code: Role; label: string }[];
}

export interface DirectoryEntry {
  id: string;
  name: string;
  profession: string;
  profession_label: string;
  commune?: string;
  cpts: { id: string; name: string; role: Role }[] | null;
}

// Messaging (docs/api.md "Messaging", docs/protocol.md).

export interface MessageAuthor {
  id: string;
  name: string;
  profession: string;
  profession_label: string;
  commune?: string;
}

export interface Reaction {
  emoji: string;
  count: number;
  user_ids: string[] | null;
  /** Not sent by the server (frames are shared by every reader): use user_ids. */
  me?: boolean;
}

export interface Message {
  id: string;
  channel_id: string;
  seq: number;
  author_id: string;
  author?: MessageAuthor;
  /** Markdown source; empty when deleted. */
  body: string;
  /** Sanitised HTML rendered by the server; the only HTML ever inserted. */
  html: string;
  thread_id?: string;
  client_id?: string;
  created_at: string;
  edited_at?: string;
  deleted: boolean;
  reply_count: number;
  last_reply_at?: string;
  reactions: Reaction[] | null;
  mentions: string[] | null;
  mention_channel: boolean;
}

export interface MessagePage {
  messages: Message[] | null;
  last_seq: number;
}

export interface MessageEdit {
  body: string;
  edited_at: string;
}

export interface ThreadResponse {
  root: Message;
  replies: Message[] | null;
  following: boolean;
}

export interface Conversation {
  id: string;
  kind: 'direct';
  name: string;
  participants: User[] | MemberUser[] | null;
  last_seq: number;
  /** False: read-only, I no longer share a CPTS or group with every other participant. */
  can_post: boolean;
}

export interface Unread {
  channel_id: string;
  last_seq: number;
  read_seq: number;
  unread: number;
  mentions: number;
}

export interface ThreadUnread {
  thread_id: string;
  channel_id: string;
  unread: number;
  reply_count: number;
  following: boolean;
}

export interface UnreadResponse {
  channels: Unread[] | null;
  threads: ThreadUnread[] | null;
}

export interface FollowedThread {
  root: Message;
  unread: number;
  reply_count: number;
  last_reply_at?: string;
}

// Wire types of the REST API v1 (docs/api.md), named for the app. They are
// generated (api-types.ts, from server/openapi.json, itself derived from
// the Go types): never typed by hand. A field the server may leave out is
// optional ("?"); a list the server may send as null says so.

import type { components } from './api-types';

type Schema = components['schemas'];

export type Role = Schema['Role'];
export type MembershipStatus = Schema['MembershipStatus'];
export type ChannelKind = Schema['ChannelKind'];
export type Visibility = Schema['Visibility'];
export type PostRefusal = Schema['PostRefusal'];

export type User = Schema['User'];
export type MembershipSummary = Schema['Membership'];
export type MeResponse = Schema['Me'];
export type LoginResponse = Schema['LoginResponse'];
export type CPTS = Schema['CPTS'];
export type CPTSRef = Schema['CPTSRef'];
export type Mission = Schema['Mission'];
export type Group = Schema['Group'];
export type Channel = Schema['Channel'];
/** A user as shown to others: the same shape as User, e-mail and numbers left out. */
export type MemberUser = Schema['User'];
export type Member = Schema['Member'];
export type Invitation = Schema['Invitation'];
export type InvitationInfo = Schema['InvitationInfo'];
export type AcceptResponse = Schema['InvitationAccepted'];
export type PasswordSetupInfo = Schema['PasswordSetupInfo'];
export type ProfessionInfo = Schema['ProfessionInfo'];
export type Meta = Schema['MetaResponse'];
export type CampaignInfo = Schema['CampaignInfo'];
export type DirectoryEntry = Schema['DirectoryEntry'];

// Messaging (docs/api.md "Messaging", docs/protocol.md).

export type MessageAuthor = Schema['Author'];
export type Reaction = Schema['Reaction'] & {
  /** Not sent by the server (frames are shared by every reader): use user_ids. */
  me?: boolean;
};
export type Message = Schema['Message'];
export type MessagePage = Schema['MessagePage'];
export type MessageEdit = Schema['Edit'];
export type ThreadResponse = Schema['Thread'];
export type Conversation = Schema['Conversation'];
export type Unread = Schema['Unread'];
export type ThreadUnread = Schema['ThreadUnread'];
export type UnreadResponse = Schema['UnreadResponse'];
export type FollowedThread = Schema['FollowedThread'];
export type FileView = Schema['File'];

export type SearchResult = Schema['SearchResult'];
export type SearchHit = Schema['SearchHit'];
export type SearchRange = Schema['Range'];
/**
 * A person's profile card (GET /users/{id}): who they are as others see
 * them (the RPPS only to members of a shared CPTS), their CPTS, and
 * whether I may write to them.
 */
export type UserCard = Schema['ProfileCard'];
// Home page, platform administration, profile cards (issue 13).

export type HomeResponse = Schema['Home'];
export type HomeMention = Schema['HomeMention'];
export type HomeThread = Schema['HomeThread'];
export type PendingMember = Schema['PendingMember'];
export type CPTSOverview = Schema['CPTSOverview'];
export type TitleForm = Schema['TitleForm'];
// The feed (issue 14).
export type Post = Schema['Post'];
export type PostInput = Schema['PostInput'];
export type PostPatch = Schema['PostPatch'];
export type EventInput = Schema['EventInput'];
export type FeedPage = Schema['FeedPage'];
export type FeedUnread = Schema['FeedUnread'];
export type RSVPCounts = Schema['RSVPCounts'];
export type RSVPState = Schema['RSVPState'];
export type RSVPList = Schema['RSVPList'];
export type RSVPAnswer = 'oui' | 'non' | 'peut_etre';
export type CalendarFeed = Schema['CalendarFeed'];
// The protocol library (docs/api.md "Protocols").

export type Protocol = Schema['Protocol'];
export type ProtocolDetail = Schema['ProtocolDetail'];
export type ProtocolPage = Schema['ProtocolPage'];
export type ProtocolVersion = Schema['ProtocolVersion'];
export type ProtocolVersionInfo = Schema['Version'];
export type ProtocolReviewer = Schema['Reviewer'];
export type ProtocolCreate = Schema['ProtocolCreate'];
export type ProtocolPatch = Schema['ProtocolPatch'];
export type AckReport = Schema['AckReport'];
export type RemindResult = Schema['RemindResult'];

// Prevention materials.
export type Material = Schema['Material'];
export type MaterialPage = Schema['MaterialPage'];
export type MaterialInput = Schema['MaterialInput'];
export type MaterialCatalog = Schema['MaterialCatalog'];

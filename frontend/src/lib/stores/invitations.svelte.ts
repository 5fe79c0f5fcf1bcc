// Invitations: those a CPTS sent and has not seen accepted (its
// administration), and the one a visitor opens from their e-mail.

import { api, seg } from '../api';
import type { AcceptResponse, Invitation, InvitationInfo, Role } from '../types';
import { ListStore } from './list.svelte';
import { session } from './session.svelte';

/** The open invitations of one CPTS, newest first. */
export class Invitations extends ListStore<Invitation> {
  protected newFirst = true;
  private readonly base: string;

  constructor(cptsId: string) {
    super();
    this.base = `/cpts/${seg(cptsId)}/invitations`;
  }

  async load(): Promise<void> {
    await this.fill(async () => (await api.get<{ invitations: Invitation[] | null }>(this.base)).invitations ?? []);
  }

  /** Sends an invitation e-mail; the new invitation comes first. */
  async send(email: string, role: Role): Promise<Invitation> {
    const res = await api.post<{ invitation: Invitation }>(this.base, { email, role });
    this.remove(res.invitation.id);
    this.upsert(res.invitation);
    return res.invitation;
  }

  async revoke(id: string): Promise<void> {
    await api.delete(`${this.base}/${seg(id)}`);
    this.remove(id);
  }
}

/** What the invitation of an e-mail link offers (no session needed). */
export function lookupInvitation(token: string): Promise<InvitationInfo> {
  return api.get<InvitationInfo>(`/invitations/${seg(token)}`, { quiet401: true });
}

/**
 * Accepts an invitation: body holds the new account's profile, or nothing
 * for an account already logged in. The session it opens becomes mine.
 */
export async function acceptInvitation(token: string, body: Record<string, string>): Promise<AcceptResponse> {
  const res = await api.post<AcceptResponse>(`/invitations/${seg(token)}/accept`, body, { quiet401: true });
  await session.adopt(res);
  return res;
}

// Writing to someone from the new-conversation dialog or a profile card:
// the conversation with them (found or created), then its page.

import { toApiError } from '../../lib/api';
import { navigate } from '../../lib/router.svelte';
import { conversations } from '../../lib/stores/conversations.svelte';

/**
 * Starts (or finds) the conversation with these people and goes to its
 * page, closing first what asked (done). Answers the failure's message,
 * "" when it went.
 */
export async function startConversation(userIds: string[], done: () => void): Promise<string> {
  try {
    const c = await conversations.create(userIds);
    done();
    navigate(`/messages/${c.id}`);
    return '';
  } catch (err) {
    return toApiError(err).message;
  }
}

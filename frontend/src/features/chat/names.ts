// Who is who in the chat on screen: ChatPane gives its members (and the
// authors it has loaded) to the messages below it, so a reaction can say
// who put it without asking the server.

import { getContext, setContext } from 'svelte';

export type NameOf = (userId: string) => string | undefined;

const key = Symbol('chat-names');

export function setNameOf(fn: NameOf): void {
  setContext(key, fn);
}

export function getNameOf(): NameOf {
  return getContext<NameOf | undefined>(key) ?? (() => undefined);
}

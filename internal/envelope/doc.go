// Package envelope encrypts direct conversations at rest (AES-256-GCM, the
// standard library's).
//
// Two levels of keys. Each conversation has its own 32-byte key, generated
// by NewConversationKey and stored with the conversation only in wrapped
// form: sealed with the master key, the conversation id as associated data,
// so a wrapped key copied onto another conversation does not open. The
// master key comes from ECPTS_MASTER_KEY or, failing that, from
// <data dir>/master.key, created once (LoadOrCreateMasterKey). Losing the
// master key loses every direct message: back it up with the database, and
// give every node of a cluster the same one.
//
// Formats (version 1), both "1 byte version || 12-byte random nonce ||
// ciphertext+16-byte tag":
//
//	wrapped key  AES-GCM(master, conversation key, AAD = conversation id)   61 bytes
//	envelope     AES-GCM(conversation key, plaintext, AAD = conversation id) 29 + len(plaintext)
//
// The version byte lets a later format (another cipher, a master key id for
// rotation) coexist with stored data; Open refuses versions it does not
// know. Random 96-bit nonces are safe up to about 2^32 messages per key, far
// beyond any conversation.
//
// The AAD binds a message to its conversation, not to its place in it:
// within one conversation, someone with write access to the database could
// swap or replay stored ciphertexts. Integrity against the database itself
// is out of scope; confidentiality of dumps and backups is the point.
//
// A Keyring is safe for concurrent use. It caches unwrapped conversation
// keys (as ready ciphers) in a bounded LRU; errors never carry key material
// or plaintext.
package envelope

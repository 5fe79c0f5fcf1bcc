package envelope

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
)

// KeyLen is the length of the master key and of conversation keys (AES-256).
const KeyLen = 32

const (
	version1  byte = 1
	nonceLen       = 12 // GCM standard nonce
	tagLen         = 16
	headerLen      = 1 + nonceLen
	// WrappedKeyLen is the length of what NewConversationKey returns.
	WrappedKeyLen = headerLen + KeyLen + tagLen
	// Overhead is how many bytes Seal adds to the plaintext.
	Overhead = headerLen + tagLen
)

// DefaultCacheSize bounds the unwrapped conversation keys a Keyring keeps:
// about 10k active conversations per node cost a few MB, and a miss costs
// one AES-GCM open of 48 bytes.
const DefaultCacheSize = 10_000

// Errors, wrapped with the conversation id. ErrCorrupt covers every
// authentication failure on purpose: tampering, a wrong conversation, a
// wrong master key and truncation look the same to GCM, and telling them
// apart would help nobody but an attacker.
var (
	ErrKeyLength = errors.New("envelope: key must be 32 bytes")
	ErrCorrupt   = errors.New("envelope: data corrupt, tampered or not for this conversation")
	ErrVersion   = errors.New("envelope: unknown format version")
	ErrNoConv    = errors.New("envelope: empty conversation id")
)

// Keyring seals and opens messages of direct conversations. Safe for
// concurrent use.
type Keyring struct {
	master cipher.AEAD
	cache  *lru
}

// NewKeyring builds a keyring on a 32-byte master key (see
// LoadOrCreateMasterKey). The keyring does not keep the slice.
func NewKeyring(master []byte) (*Keyring, error) {
	return newKeyring(master, DefaultCacheSize)
}

func newKeyring(master []byte, cacheSize int) (*Keyring, error) {
	if len(master) != KeyLen {
		return nil, fmt.Errorf("envelope: master key of %d bytes: %w", len(master), ErrKeyLength)
	}
	aead, err := newGCM(master)
	if err != nil {
		return nil, fmt.Errorf("envelope: master key: %w", err)
	}
	return &Keyring{master: aead, cache: newLRU(cacheSize)}, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// NewConversationKey draws a fresh key for convID and returns it wrapped by
// the master key, to store with the conversation. It is cached, ready for
// the first Seal.
func (k *Keyring) NewConversationKey(convID string) ([]byte, error) {
	if convID == "" {
		return nil, ErrNoConv
	}
	key := make([]byte, KeyLen)
	defer clear(key)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("envelope: conversation %s: new key: %w", convID, err)
	}
	wrapped, err := seal(k.master, key, []byte(convID))
	if err != nil {
		return nil, fmt.Errorf("envelope: conversation %s: wrap key: %w", convID, err)
	}
	if _, err := k.keep(convID, wrapped, key); err != nil {
		return nil, err
	}
	return wrapped, nil
}

// Seal encrypts plaintext for convID with the conversation key in wrapped.
// The result is a version-1 envelope (see the package comment).
func (k *Keyring) Seal(convID string, wrapped, plaintext []byte) ([]byte, error) {
	return k.inConversation("seal", seal, convID, wrapped, plaintext)
}

// Open decrypts an envelope made by Seal for the same conversation. It
// returns an error, never panics, on a wrong wrapped key, a wrong
// conversation, tampered or truncated data or an unknown version.
func (k *Keyring) Open(convID string, wrapped, envelope []byte) ([]byte, error) {
	return k.inConversation("open", open, convID, wrapped, envelope)
}

// inConversation applies op (seal or open, named verb in errors) to data
// with convID's key in wrapped, convID as the additional data.
func (k *Keyring) inConversation(verb string, op func(cipher.AEAD, []byte, []byte) ([]byte, error), convID string, wrapped, data []byte) ([]byte, error) {
	aead, err := k.conversation(convID, wrapped)
	if err != nil {
		return nil, err
	}
	out, err := op(aead, data, []byte(convID))
	if err != nil {
		return nil, fmt.Errorf("envelope: %s in conversation %s: %w", verb, convID, err)
	}
	return out, nil
}

// conversation returns the cipher of convID's key, from the cache when the
// same wrapped key was seen for the same conversation, else by unwrapping.
func (k *Keyring) conversation(convID string, wrapped []byte) (cipher.AEAD, error) {
	if convID == "" {
		return nil, ErrNoConv
	}
	if aead, ok := k.cache.get(convID, wrapped); ok {
		return aead, nil
	}
	key, err := open(k.master, wrapped, []byte(convID))
	if err != nil {
		return nil, fmt.Errorf("envelope: unwrap key of conversation %s: %w", convID, err)
	}
	defer clear(key)
	if len(key) != KeyLen {
		return nil, fmt.Errorf("envelope: unwrap key of conversation %s: %w", convID, ErrKeyLength)
	}
	return k.keep(convID, wrapped, key)
}

// keep returns the cipher of convID's key, cached under its wrapped form.
func (k *Keyring) keep(convID string, wrapped, key []byte) (cipher.AEAD, error) {
	aead, err := newGCM(key)
	if err != nil {
		return nil, fmt.Errorf("envelope: conversation %s: %w", convID, err)
	}
	k.cache.put(convID, wrapped, aead)
	return aead, nil
}

// seal returns version || nonce || aead.Seal(plaintext).
func seal(aead cipher.AEAD, plaintext, aad []byte) ([]byte, error) {
	out := make([]byte, headerLen, headerLen+len(plaintext)+tagLen)
	out[0] = version1
	if _, err := rand.Read(out[1:headerLen]); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return aead.Seal(out, out[1:headerLen], plaintext, aad), nil
}

// open checks the version and length before handing the rest to GCM.
func open(aead cipher.AEAD, data, aad []byte) ([]byte, error) {
	if len(data) == 0 {
		return nil, ErrCorrupt
	}
	if data[0] != version1 {
		return nil, fmt.Errorf("version %d: %w", data[0], ErrVersion)
	}
	if len(data) < headerLen+tagLen {
		return nil, ErrCorrupt
	}
	out, err := aead.Open(nil, data[1:headerLen], data[headerLen:], aad)
	if err != nil {
		return nil, ErrCorrupt
	}
	return out, nil
}

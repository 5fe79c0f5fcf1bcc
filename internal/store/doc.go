// Package store is the persistence layer of e-CPTS: one type per MongoDB
// collection (Users, CPTSs, Memberships, Groups, GroupMembers, Channels,
// ChannelMembers, Sessions, Invitations, Messages…; for what a CPTS
// publishes: Posts, PostReactions, RSVPs, FeedMarkers, CalendarTokens,
// Protocols, ProtocolVersions, ProtocolReviews, ProtocolAcks, Materials,
// Files), each owning its indexes and an unexported BSON document type,
// each returning internal/model types and translating driver errors into
// model.ErrNotFound and model.ErrConflict.
//
// The same code runs on real MongoDB and on an embedded FerretDB v1 (SQLite
// or PostgreSQL backend). FerretDB v1 shapes what the code may do:
//
//   - no transactions, change streams, $lookup, $text, TTL or partial
//     indexes; $group only with $sum/$count;
//   - an update reads the matching documents, applies the operators in Go and
//     writes whole documents back by _id. So $inc, $addToSet and
//     FindOneAndUpdate are NOT atomic there: two concurrent updates of one
//     document may both "match" and the last write wins, losing the other
//     (TestFerretConditionalUpdateIsNotCompareAndSet: of 8 updates filtered
//     on the same old state, 2 to 8 report a modification). Only the
//     uniqueness of _id and of unique indexes is enforced by the SQL
//     backend under concurrency. Where exactly one winner matters, the
//     store inserts a document with a unique _id: the lock of
//     Invitations.Claim, the next revision of a protocol (Protocols), a
//     seat of an event (RSVPs), a file's attachment (Files), a reviewer's
//     decision on a version. State that different people change at once
//     lives in documents of its own (one per reaction, RSVP, pin,
//     attachment), and a deletion leaves a tombstone that an edit checks
//     after it wrote (Posts, Materials). Upserts of a new _id collide too
//     (upsert, replaceUpsert);
//   - its SQL backends cannot use the indexes it creates (see accel.go):
//     Open adds, under FerretDB, indexes its query shapes do use — on
//     SQLite for {_id: x}, the only filter it pushes down to SQL there; on
//     PostgreSQL for {_id: x} and for equality on the fields the store
//     looks up by (accelFields). Any other filter reads the whole
//     collection: hence the meaningful string _ids (membership _id =
//     cptsID+":"+userID), ByIDs methods doing one _id lookup per id
//     instead of a scanning $in (findByIDs), and the "page" field of
//     messages that PostgreSQL reads a range by;
//   - a unique-index violation by an update comes back as an InternalError
//     carrying the SQL error, and creating several existing indexes in one
//     command panics FerretDB v1.24: see isDuplicateKey and ensureIndexes.
//
// Times are stored in UTC, truncated to the millisecond (BSON date
// precision), so what is read back equals what was written. Names used in
// unique indexes are stored a second time, trimmed and lowercased
// (name_key), which makes uniqueness case-insensitive. Lists "ordered by
// name" are sorted in Go, accents folded, ties broken by id.
//
// Access and Scopes (access.go) read what one user belongs to across
// collections. The reads the application makes most are cached by the
// layer in internal/store/cache, which wraps these types.
//
// Every method takes a context first and is safe for concurrent use.
// Errors carry identifiers, never content: no e-mail, name, token or hash.
package store

package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// PostReactions is the post_reactions collection: one document per
// (post, user, emoji), _id = postID + ":" + userID + ":" + emoji, so two
// members reacting at once each insert their own document and neither
// undoes the other (a reaction stored inside the post would be, on
// FerretDB). Index on post_id.
type PostReactions struct {
	coll    collection
	backend string
	lite    *sqliteReader // FerretDB-SQLite: post_id lookups on its index
}

type postReactionDoc struct {
	ID     string       `bson:"_id"`
	PostID model.PostID `bson:"post_id"`
	UserID model.UserID `bson:"user_id"`
	Emoji  string       `bson:"emoji"`
	At     time.Time    `bson:"at"`
}

func reactionID(post model.PostID, user model.UserID, emoji string) string {
	return string(post) + ":" + string(user) + ":" + emoji
}

// EnsureIndexes creates the post_id index; idempotent.
func (r *PostReactions) EnsureIndexes(ctx context.Context) error {
	return ensureIndexes(ctx, r.coll, index("post_id", "post_id"))
}

// Add records user's emoji on post at at; added is false when it was
// there already. The emoji is stored as given (core validates it).
func (r *PostReactions) Add(ctx context.Context, post model.PostID, user model.UserID, emoji string, at time.Time) (added bool, err error) {
	if emoji == "" {
		return false, fmt.Errorf("store: reaction on post %s: empty emoji", post)
	}
	_, err = r.coll.InsertOne(ctx, postReactionDoc{ID: reactionID(post, user, emoji), PostID: post, UserID: user, Emoji: emoji, At: msUTC(at)})
	switch {
	case err == nil:
		return true, nil
	case isDuplicateKey(err):
		return false, nil
	}
	return false, dbErr(err, fmt.Sprintf("reaction of %s on post %s", user, post))
}

// Remove takes user's emoji off post; removed is false when it was not
// there.
func (r *PostReactions) Remove(ctx context.Context, post model.PostID, user model.UserID, emoji string) (removed bool, err error) {
	res, err := r.coll.DeleteOne(ctx, byID(reactionID(post, user, emoji)))
	if err != nil {
		return false, dbErr(err, fmt.Sprintf("remove reaction of %s on post %s", user, post))
	}
	return res.DeletedCount == 1, nil
}

// ByPosts returns the reactions of each post that has some: per emoji,
// the users who put it, emojis in the order they first appeared and users
// in the order they reacted.
func (r *PostReactions) ByPosts(ctx context.Context, posts []model.PostID) (map[model.PostID][]model.Reaction, error) {
	ids := mapSlice(posts, func(p model.PostID) string { return string(p) })
	var docs []postReactionDoc
	var err error
	if r.lite != nil {
		docs, err = r.byPostsSQLite(ctx, uniqStrings(ids))
	} else {
		docs, err = findAny(ctx, r.coll, r.backend, "post_id", ids, nil, func(d postReactionDoc) string { return d.ID })
	}
	if err != nil {
		return nil, dbErr(err, fmt.Sprintf("reactions of %d posts", len(posts)))
	}
	slices.SortFunc(docs, oldestFirst(func(x postReactionDoc) (time.Time, string) { return x.At, x.ID }))
	out := make(map[model.PostID][]model.Reaction)
	for _, d := range docs {
		rs := out[d.PostID]
		i := slices.IndexFunc(rs, func(x model.Reaction) bool { return x.Emoji == d.Emoji })
		if i < 0 {
			rs = append(rs, model.Reaction{Emoji: d.Emoji})
			i = len(rs) - 1
		}
		rs[i].Users = append(rs[i].Users, d.UserID)
		out[d.PostID] = rs
	}
	return out, nil
}

// byPostsSQLite reads the reactions of posts from the SQLite file, on the
// post_id index (FerretDB would read the whole collection).
func (r *PostReactions) byPostsSQLite(ctx context.Context, posts []string) ([]postReactionDoc, error) {
	if len(posts) == 0 {
		return nil, nil
	}
	from, args, err := r.lite.whereIn(ctx, r.coll.Name(), "post_id", posts)
	if err != nil || from == "" {
		return nil, err
	}
	rows, err := r.lite.db.QueryContext(ctx, `SELECT _ferretdb_sjson->>'$._id', _ferretdb_sjson->>'$.post_id', _ferretdb_sjson->>'$.user_id', _ferretdb_sjson->>'$.emoji', _ferretdb_sjson->>'$.at'`+from, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var docs []postReactionDoc
	for rows.Next() {
		var d postReactionDoc
		var at int64 // sjson keeps a date as Unix milliseconds
		if err := rows.Scan(&d.ID, &d.PostID, &d.UserID, &d.Emoji, &at); err != nil {
			return nil, err
		}
		d.At = time.UnixMilli(at).UTC()
		docs = append(docs, d)
	}
	return docs, rows.Err()
}

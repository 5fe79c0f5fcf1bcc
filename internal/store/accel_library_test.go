package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ecpts/ecpts/internal/model"
)

// TestAccelerateLibraryPostgreSQL checks on the real PostgreSQL that the
// queries of the collections of issue 14 run on the lookup indexes
// accelerate creates (PostgreSQL's index statistics count them): the
// library lists by seen_by, the feed by page, reactions and answers by
// post, seats by holder, attachments by target, reviews and
// acknowledgements by version, events and pins by feed.
func TestAccelerateLibraryPostgreSQL(t *testing.T) {
	pgURL := testPostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dbName := fmt.Sprintf("accel_lib_%d", time.Now().UnixNano())
	s, err := Open(ctx, Options{PostgresURL: pgURL, Database: dbName, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = s.Drop(context.Background())
		_ = s.Close(context.Background())
	}()
	now := time.Now()
	c := model.CPTSID(model.NewID())
	feed := model.CPTSFeed(c)
	var posts []model.PostID
	for i := 0; i < 40; i++ {
		p := model.Post{CPTSID: c, Kind: model.PostEvent, Title: "Réunion", AuthorID: model.UserID(model.NewID()), CreatedAt: now,
			Event: &model.EventInfo{StartsAt: now.Add(time.Hour), EndsAt: now.Add(2 * time.Hour)}}
		got, err := s.Posts.Insert(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		posts = append(posts, got.ID)
		pr, err := s.Protocols.Create(ctx, model.Protocol{CPTSID: c, Title: "Protocole", Status: model.ProtocolDraft, Visibility: model.SharingCPTS, CreatedAt: now},
			model.ProtocolVersion{Body: "texte", CreatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Materials.Insert(ctx, model.Material{CPTSID: c, Title: "Affiche", Kind: model.MaterialLink, URL: "https://example.org",
			Theme: model.ThemeTabac, Audience: model.AudiencePatients, Language: "fr", Visibility: model.SharingCPTS, CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
		u := model.UserID(model.NewID())
		if _, err := s.PostReactions.Add(ctx, got.ID, u, "👍", now); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RSVPs.Set(ctx, model.RSVP{PostID: got.ID, UserID: u, Answer: model.RSVPYes, At: now}, 5); err != nil {
			t.Fatal(err)
		}
		if err := s.ProtocolReviews.Insert(ctx, model.ProtocolReview{ProtocolID: pr.ID, Version: 1, ReviewerID: u, Decision: model.ReviewApprove, At: now}); err != nil {
			t.Fatal(err)
		}
		if err := s.ProtocolAcks.Insert(ctx, model.ProtocolAck{ProtocolID: pr.ID, Version: 1, UserID: u, At: now}); err != nil {
			t.Fatal(err)
		}
		f, err := s.Files.Insert(ctx, model.File{ID: model.FileID(model.NewID()), CreatedAt: now})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Files.Attach(ctx, f.ID, model.Attachment{Kind: model.AttachPost, ID: string(got.ID), At: now}); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			if err := s.Posts.Pin(ctx, got.ID, u, now); err != nil {
				t.Fatal(err)
			}
		}
		if i == 0 {
			if _, err := s.ProtocolReviews.ByVersion(ctx, pr.ID, 1); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ProtocolAcks.ByVersion(ctx, pr.ID, 1); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := s.Protocols.List(ctx, ProtocolQuery{Viewer: []model.CPTSID{c}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Materials.List(ctx, MaterialQuery{Viewer: []model.CPTSID{c}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Posts.Feed(ctx, feed, 0, 20); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Posts.Upcoming(ctx, []model.FeedScope{feed, model.GroupFeed(model.GroupID(model.NewID()))}, now, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PostReactions.ByPosts(ctx, posts[:3]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RSVPs.Counts(ctx, posts[:3]); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Files.ByAttachment(ctx, model.AttachPost, string(posts[0])); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{ // collection → field
		"protocol_index": "seen_by", "material_index": "seen_by", "posts": "page", "post_pins": "feed", "post_events": "feed",
		"post_reactions": "post_id", "rsvps": "post_id", "rsvp_seats": "holder", "file_attachments": "target",
		"protocol_reviews": "pv", "protocol_acks": "pv",
	}
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tables := map[string]string{} // table → collection
	rows, err := conn.Query(ctx, `SELECT _jsonb->>'_id', _jsonb->>'table' FROM `+pgx.Identifier{dbName}.Sanitize()+`._ferretdb_database_metadata`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var coll, table string
		if err := rows.Scan(&coll, &table); err != nil {
			t.Fatal(err)
		}
		tables[table] = coll
	}
	rows.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		used := map[string]bool{}
		rows, err := conn.Query(ctx, `SELECT relname, indexrelname, idx_scan FROM pg_stat_user_indexes WHERE schemaname = $1`, dbName)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var table, index string
			var n int64
			if err := rows.Scan(&table, &index, &n); err != nil {
				t.Fatal(err)
			}
			if _, field, ok := strings.Cut(index, "_ecpts_"); ok && n > 0 {
				used[tables[table]+"."+field] = true
			}
		}
		rows.Close()
		var missing []string
		for coll, field := range want {
			if !used[coll+"."+field] {
				missing = append(missing, coll+"."+field)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("lookups not served by their index: %v", missing)
		}
		if _, err := conn.Exec(ctx, `SELECT pg_stat_clear_snapshot()`); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

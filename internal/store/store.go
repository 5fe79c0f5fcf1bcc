package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Options says which database to open. All fields are optional except
// that the embedded SQLite backend needs DataDir.
type Options struct {
	MongoURL    string // real MongoDB; when set, FerretDB is not started
	PostgresURL string // FerretDB with its PostgreSQL backend
	DataDir     string // FerretDB SQLite backend lives in DataDir/db/ when neither URL is set
	Database    string // MongoDB database name; default "ecpts"
	Logger      *slog.Logger
	// Registerer receives the store metrics (ecpts_store_commands_total and
	// ecpts_store_command_duration_seconds) when non-nil.
	Registerer prometheus.Registerer
	Now        func() time.Time // optional; default time.Now

	// Embedded, when set, is an already running FerretDB to use instead
	// of the URLs and DataDir; Close leaves it running (its starter stops
	// it). Tests share one between many stores.
	Embedded *Embedded
}

// DefaultDatabase is the database name when Options.Database is empty.
const DefaultDatabase = "ecpts"

// Store holds one collection type per collection. Its fields are set by
// Open and never change; all are safe for concurrent use.
type Store struct {
	Users            *Users
	CPTS             *CPTSs
	Memberships      *Memberships
	Groups           *Groups
	GroupMembers     *GroupMembers
	Channels         *Channels
	ChannelMembers   *ChannelMembers
	Sessions         *Sessions
	Invitations      *Invitations
	Messages         *Messages
	ReadMarkers      *ReadMarkers
	ThreadStates     *ThreadStates
	ConversationKeys *ConversationKeys
	ChannelSeqs      *ChannelSeqs
	Audit            *Audit

	// What a CPTS publishes (issue 14).
	Posts            *Posts
	PostReactions    *PostReactions
	RSVPs            *RSVPs
	FeedMarkers      *FeedMarkers
	CalendarTokens   *CalendarTokens
	Protocols        *Protocols
	ProtocolVersions *ProtocolVersions
	ProtocolReviews  *ProtocolReviews
	ProtocolAcks     *ProtocolAcks
	Materials        *Materials
	Files            *Files

	// The search index's outbox and lease (issue 15).
	SearchOutbox *SearchOutbox

	client   *mongo.Client
	db       *mongo.Database
	embedded *Embedded     // owned: stopped by Close; nil on MongoDB or a shared one
	scrub    *scrubber     // embedded SQLite only: erases deleted text from the disk
	lite     *sqliteReader // embedded SQLite only: indexed lookups FerretDB would scan for
	backend  string
	logger   *slog.Logger
}

// Open connects to the database Options describe (starting an embedded
// FerretDB when no MongoDB URL is given), checks it answers, creates the
// indexes and applies the schema migrations. The returned Store must be
// closed. Errors name the setting at fault (ECPTS_MONGO_URL,
// ECPTS_POSTGRES_URL, ECPTS_DATA_DIR), with the host but no credentials.
func Open(ctx context.Context, o Options) (_ *Store, err error) {
	logger := o.Logger
	if logger == nil {
		logger = slog.Default()
	}
	now := o.Now
	if now == nil {
		now = time.Now
	}
	dbName := o.Database
	if dbName == "" {
		dbName = DefaultDatabase
	}

	s := &Store{logger: logger}
	var uri, setting, where string
	var credentialsURL string // whose user and password errors must not show
	switch {
	case o.Embedded != nil:
		uri, s.backend = o.Embedded.URI(), o.Embedded.Backend()
		setting, where = "embedded database", redactedHost(uri)
	case o.MongoURL != "":
		uri, s.backend, credentialsURL = o.MongoURL, BackendMongoDB, o.MongoURL
		setting, where = "ECPTS_MONGO_URL", redactedHost(o.MongoURL)
	default:
		e, err := StartEmbedded(ctx, EmbeddedOptions{PostgresURL: o.PostgresURL, DataDir: o.DataDir, Logger: logger})
		if err != nil {
			return nil, err
		}
		s.embedded, uri, s.backend = e, e.URI(), e.Backend()
		if o.PostgresURL != "" {
			setting, where, credentialsURL = "ECPTS_POSTGRES_URL", redactedHost(o.PostgresURL), o.PostgresURL
		} else {
			setting, where = "ECPTS_DATA_DIR", o.DataDir
		}
	}
	defer func() {
		if err != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), connectTimeout)
			defer cancel()
			if cerr := s.Close(cctx); cerr != nil {
				logger.Warn("store: close after a failed open", "err", cerr)
			}
		}
	}()

	copts := options.Client().
		ApplyURI(uri).
		SetAppName("ecpts").
		SetConnectTimeout(connectTimeout).
		SetServerSelectionTimeout(connectTimeout)
	if o.Registerer != nil {
		m, err := newCommandMetrics(o.Registerer)
		if err != nil {
			return nil, fmt.Errorf("store: register metrics: %w", err)
		}
		copts.SetMonitor(m.monitor())
	}
	if err := copts.Validate(); err != nil {
		return nil, fmt.Errorf("%s: invalid URL for %s: %w", setting, where, redactCredentials(err, credentialsURL))
	}
	s.client, err = mongo.Connect(copts)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot connect to %s: %w", setting, where, redactCredentials(err, credentialsURL))
	}
	s.db = s.client.Database(dbName)

	pctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := s.Ping(pctx); err != nil {
		return nil, fmt.Errorf("%s: cannot connect to %s: %w", setting, where, redactCredentials(err, credentialsURL))
	}

	ferret := s.backend != BackendMongoDB
	s.Users = &Users{userNamed.on(s.collection("users"), ferret)}
	s.CPTS = &CPTSs{cptsNamed.on(s.collection("cpts"), ferret)}
	s.Memberships = &Memberships{membershipPairs.on(s.collection("memberships"))}
	s.Groups = &Groups{groupNamed.on(s.collection("groups"), ferret)}
	s.GroupMembers = &GroupMembers{groupMemberPairs.on(s.collection("group_members"))}
	s.Channels = &Channels{channelNamed.on(s.collection("channels"), ferret)}
	s.ChannelMembers = &ChannelMembers{channelMemberPairs.on(s.collection("channel_members"))}
	s.Sessions = &Sessions{coll: s.collection("sessions"), now: now}
	s.Invitations = &Invitations{coll: s.collection("invitations"), locks: s.collection("invitation_locks")}
	s.Messages = &Messages{coll: s.collection("messages"), ferret: ferret, byPage: s.backend == BackendFerretDBPostgreSQL}
	s.ReadMarkers = &ReadMarkers{coll: s.collection("read_markers"), ferret: ferret}
	s.ThreadStates = &ThreadStates{coll: s.collection("thread_states")}
	s.ConversationKeys = &ConversationKeys{coll: s.collection("conversation_keys")}
	s.ChannelSeqs = &ChannelSeqs{coll: s.collection("channel_seqs"), ferret: ferret}
	s.Audit = &Audit{coll: s.collection("audit")}
	tombs := tombstones{coll: s.collection("tombstones")}
	s.Posts = &Posts{coll: s.collection("posts"), seqs: s.collection("post_seqs"), pins: s.collection("post_pins"),
		events: s.collection("post_events"), tombs: tombs, backend: s.backend}
	s.PostReactions = &PostReactions{coll: s.collection("post_reactions"), backend: s.backend}
	s.RSVPs = &RSVPs{coll: s.collection("rsvps"), seats: s.collection("rsvp_seats"), holds: s.collection("rsvp_holds"), backend: s.backend}
	s.FeedMarkers = &FeedMarkers{coll: s.collection("feed_markers"), backend: s.backend}
	s.CalendarTokens = &CalendarTokens{coll: s.collection("calendar_tokens")}
	s.Protocols = &Protocols{coll: s.collection("protocols"), events: s.collection("protocol_events"),
		versions: s.collection("protocol_versions"), index: s.collection("protocol_index"), backend: s.backend}
	s.ProtocolVersions = &ProtocolVersions{coll: s.collection("protocol_versions"), backend: s.backend}
	s.ProtocolReviews = &ProtocolReviews{coll: s.collection("protocol_reviews"), backend: s.backend}
	s.ProtocolAcks = &ProtocolAcks{coll: s.collection("protocol_acks"), backend: s.backend}
	s.Materials = &Materials{coll: s.collection("materials"), index: s.collection("material_index"), tombs: tombs, backend: s.backend}
	s.SearchOutbox = &SearchOutbox{coll: s.collection("search_outbox"), leases: s.collection("search_leases"), now: now, ferret: ferret}
	s.Files = &Files{coll: s.collection("files"), attachments: s.collection("file_attachments"), backend: s.backend}

	for _, c := range []interface {
		EnsureIndexes(context.Context) error
	}{s.Users, s.CPTS, s.Memberships, s.Groups, s.GroupMembers, s.Channels, s.ChannelMembers, s.Sessions, s.Invitations,
		s.Messages, s.ReadMarkers, s.ThreadStates, s.Audit,
		s.Posts, s.PostReactions, s.RSVPs, s.CalendarTokens, s.Protocols, s.ProtocolReviews, s.ProtocolAcks, s.Materials, s.Files} {
		if err := c.EnsureIndexes(ctx); err != nil {
			return nil, err
		}
	}
	if err := migrate(ctx, s.db, migrations, logger); err != nil {
		return nil, err
	}
	emb := o.Embedded
	if emb == nil {
		emb = s.embedded
	}
	if err := accelerate(ctx, s.db, emb); err != nil {
		return nil, err
	}
	if emb != nil && emb.backend == BackendFerretDBSQLite {
		file := filepath.Join(emb.sqliteDir, dbName+".sqlite")
		s.scrub = startScrubber(ctx, file, logger)
		s.Messages.erased = s.scrub.erased
		if s.lite, err = openSQLiteReader(file); err != nil {
			return nil, err
		}
		s.PostReactions.lite, s.RSVPs.lite, s.Posts.lite = s.lite, s.lite, s.lite
	}
	logger.Info("store opened", "backend", s.backend, "database", dbName)
	return s, nil
}

// Close disconnects the client, then stops the embedded FerretDB the store
// started, if any, and waits for it (bounded by ctx).
func (s *Store) Close(ctx context.Context) error {
	var errs []error
	if s.scrub != nil {
		if err := s.scrub.stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if s.lite != nil {
		if err := s.lite.close(); err != nil {
			errs = append(errs, fmt.Errorf("store: close the SQLite reader: %w", err))
		}
	}
	if s.client != nil {
		if err := s.client.Disconnect(ctx); err != nil && !errors.Is(err, mongo.ErrClientDisconnected) {
			errs = append(errs, fmt.Errorf("store: disconnect: %w", err))
		}
	}
	if s.embedded != nil {
		if err := s.embedded.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Ping checks the database answers, backend included (FerretDB's ping
// reaches PostgreSQL or SQLite); /readyz calls it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err(); err != nil {
		return fmt.Errorf("store: ping %s: %w", s.backend, err)
	}
	return nil
}

// Backend reports "mongodb", "ferretdb-postgresql" or "ferretdb-sqlite".
func (s *Store) Backend() string { return s.backend }

// SchemaVersion returns the schema version recorded in the database.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	return schemaVersion(ctx, s.db)
}

// Migrate applies the migrations not yet recorded; Open already did, so a
// second call is a no-op unless another binary rolled the schema forward.
func (s *Store) Migrate(ctx context.Context) error {
	return migrate(ctx, s.db, migrations, s.logger)
}

// Drop deletes the whole database. It exists for tests, which use a fresh
// database each and drop it at the end.
func (s *Store) Drop(ctx context.Context) error {
	if err := s.db.Drop(ctx); err != nil {
		return fmt.Errorf("store: drop database: %w", err)
	}
	return nil
}

package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/search"
)

// The indexer applies the search outbox to the index, off the request
// path. Every write appends a record naming the object (touch); the
// indexer, on the one node holding the "search-indexer" lease (renewed at
// each batch, taken over by another node when it lapses), reads the
// records in order in batches, re-derives each named object from the
// store — so a record applied twice, or late, or out of order, writes the
// same documents — upserts and deletes them in the index, then removes
// the records. When the index is down the records wait: the indexer
// retries with a growing delay and catches up, and a restart starts from
// what is left in the outbox.

const (
	indexerLease    = "search-indexer"
	indexerLeaseTTL = 30 * time.Second
	indexerBatch    = 200
	indexerIdle     = 2 * time.Second
	// indexerSettle: after a batch that was not full the indexer lets
	// records gather before the next, so that under a stream of sends it
	// applies them in batches (one store read, one index write and one
	// segment of the index each) rather than a few at a time, each round
	// costing a lease renewal, an outbox read and an index segment to merge.
	// It is how late a search may find a new message, at most.
	indexerSettle = 500 * time.Millisecond
	// indexerBusyRate, indexerBusyPoll, indexerMaxDefer: while this
	// node's message log stores more than indexerBusyRate messages a
	// second — a burst of sends; a CPTS's usual traffic is a few a minute —
	// the indexer leaves the machine to the sends, looking again every
	// indexerBusyPoll, for at most indexerMaxDefer before it catches up
	// (then it may wait again). Indexing reads each message back and
	// analyses it: beside a burst on a small machine it made every send of
	// the burst wait (docs/benchmarks.md, "The indexer and the outbox out of the way of bursts").
	indexerBusyRate = 50
	indexerBusyPoll = 250 * time.Millisecond
	indexerMaxDefer = 30 * time.Second
	// messagesPerRead bounds the messages of a channel read at once when a
	// channel is re-derived.
	messagesPerRead = 500
)

// SearchIndex returns the index core searches (nil when none).
func (c *Core) SearchIndex() search.Index { return c.search.idx }

// RunIndexer applies the outbox until ctx ends. Run it on every node: the
// lease makes one of them do the work.
func (c *Core) RunIndexer(ctx context.Context) {
	if c.search.idx == nil {
		return
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	holder := hex.EncodeToString(b[:])
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = c.st.SearchOutbox.Release(rctx, indexerLease, holder)
	}()
	backoff := time.Duration(0)
	var sends sendGauge
	// wait holds the indexer while sends.yield says so, between batches
	// and within a long one (a channel re-derived whole).
	wait := func(ctx context.Context) error {
		for {
			if _, stored := c.msgs.Commits(); !sends.yield(c.now(), stored) {
				return nil
			}
			if !sleepCtx(ctx, indexerBusyPoll) {
				return ctx.Err()
			}
		}
	}
	for {
		if wait(ctx) != nil {
			return
		}
		next := indexerIdle
		held, err := c.st.SearchOutbox.Lease(ctx, indexerLease, holder, indexerLeaseTTL)
		switch {
		case err != nil:
			c.log.Warn("search indexer lease", "err", err)
			next = 5 * time.Second
		case !held:
			next = indexerLeaseTTL / 3
		default:
			n, err := c.indexOutbox(ctx, indexerBatch, wait)
			switch {
			case err != nil && ctx.Err() == nil:
				backoff = min(max(2*backoff, time.Second), time.Minute)
				c.log.Warn("search indexer: batch failed, will retry", "retry_in", backoff, "err", err)
				next = backoff
			case n >= indexerBatch:
				backoff = 0
				next = 0 // behind: catch up
			case n > 0:
				backoff = 0
				sends.caughtUp()
				if !sleepCtx(ctx, indexerSettle) {
					return
				}
				next = 0
			default:
				backoff = 0
				sends.caughtUp()
			}
		}
		if next == 0 {
			if ctx.Err() != nil {
				return
			}
			continue
		}
		t := time.NewTimer(next)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-c.search.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// sendGauge tells the indexer when to leave the machine to a burst of
// sends (indexerBusyRate).
type sendGauge struct {
	at       time.Time // the last look
	stored   int64     // messages the log had stored then
	busy     bool      // the verdict of the last look
	deferred time.Time // when the current wait began; zero: not waiting
}

// yield reports whether the indexer should wait, given that the message
// log has stored `stored` messages by now: whether more than
// indexerBusyRate a second were stored since the last look, unless it
// has been waiting for indexerMaxDefer already.
func (g *sendGauge) yield(now time.Time, stored int64) bool {
	if el := now.Sub(g.at); g.at.IsZero() || el >= indexerBusyPoll/2 {
		g.busy = !g.at.IsZero() && float64(stored-g.stored) > indexerBusyRate*el.Seconds()
		g.at, g.stored = now, stored
	}
	if !g.busy {
		g.deferred = time.Time{}
		return false
	}
	if g.deferred.IsZero() {
		g.deferred = now
	}
	return now.Sub(g.deferred) < indexerMaxDefer
}

// caughtUp: the indexer has applied what was waiting; it may wait again.
func (g *sendGauge) caughtUp() { g.deferred = time.Time{} }

// IndexOutbox applies one batch of at most n outbox records and returns
// how many it applied. Safe to call from anywhere (tests, tools): the
// derivation reads the store, so concurrent calls write the same
// documents.
func (c *Core) IndexOutbox(ctx context.Context, n int) (int, error) {
	return c.indexOutbox(ctx, n, nil)
}

// indexOutbox is IndexOutbox; pause, when set, is called after each part
// of a long batch written to the index, and may hold the batch (the
// indexer waiting out a burst of sends).
func (c *Core) indexOutbox(ctx context.Context, n int, pause func(context.Context) error) (int, error) {
	if c.search.idx == nil {
		return 0, errSearchOff
	}
	recs, err := c.st.SearchOutbox.Batch(ctx, n)
	if err != nil || len(recs) == 0 {
		return 0, err
	}
	d := c.newDeriver()
	d.pause = pause
	seen := map[string]bool{}
	// Messages, the bulk of the outbox, are read a channel at a time (one
	// channel read and one read of its messages per batch).
	var chans []model.ChannelID
	seqs := map[model.ChannelID][]uint64{}
	for _, r := range recs {
		key := string(r.Kind) + ":" + r.Ref
		if seen[key] {
			continue
		}
		seen[key] = true
		switch r.Kind {
		case store.OutboxMessage:
			if ch, seq, ok := model.MessageID(r.Ref).Parse(); ok {
				if seqs[ch] == nil {
					chans = append(chans, ch)
				}
				seqs[ch] = append(seqs[ch], seq)
				continue
			}
		case store.OutboxMessages:
			ch := model.ChannelID(r.Ref)
			if seqs[ch] == nil {
				chans = append(chans, ch)
			}
			seqs[ch] = append(seqs[ch], r.Seqs...)
			continue
		}
		if err := d.record(ctx, r.Kind, r.Ref); err != nil {
			return 0, err
		}
	}
	for _, ch := range chans {
		slices.Sort(seqs[ch])
		if err := d.messages(ctx, ch, slices.Compact(seqs[ch])); err != nil {
			return 0, err
		}
	}
	if err := d.flush(ctx); err != nil {
		return 0, err
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	if err := c.st.SearchOutbox.Remove(ctx, ids); err != nil {
		return 0, err
	}
	return len(recs), nil
}

// OutboxLag is the number of outbox records waiting and the age of the
// oldest (for /metrics).
func (c *Core) OutboxLag(ctx context.Context) (int64, time.Duration, error) {
	n, oldest, err := c.st.SearchOutbox.Lag(ctx)
	if err != nil || n == 0 {
		return n, 0, err
	}
	return n, max(0, c.now().Sub(oldest)), nil
}

// deriver builds documents from the store and writes them to the index in
// batches.
type deriver struct {
	c       *Core
	version int64
	upserts []search.Document
	deletes []string
	users   map[model.UserID]*model.User
	groups  map[model.GroupID]*model.Group
	// seen, when set (reindex), collects every id written.
	seen map[string]bool
	// pause, when set, runs after each part written (maybeFlush).
	pause func(context.Context) error
}

func (c *Core) newDeriver() *deriver {
	return &deriver{c: c, version: c.now().UnixNano(), users: map[model.UserID]*model.User{}, groups: map[model.GroupID]*model.Group{}}
}

func (d *deriver) upsert(doc search.Document) {
	doc.Version = d.version
	d.upserts = append(d.upserts, doc)
	if d.seen != nil {
		d.seen[doc.ID] = true
	}
}

func (d *deriver) remove(id string) { d.deletes = append(d.deletes, id) }

// flush writes what is pending when force or when the batch is large.
func (d *deriver) maybeFlush(ctx context.Context) error {
	if len(d.upserts)+len(d.deletes) < 500 {
		return nil
	}
	if err := d.flush(ctx); err != nil || d.pause == nil {
		return err
	}
	return d.pause(ctx)
}

func (d *deriver) flush(ctx context.Context) error {
	if len(d.upserts) > 0 {
		if err := d.c.search.idx.Upsert(ctx, d.upserts...); err != nil {
			return fmt.Errorf("core: index %d documents: %w", len(d.upserts), err)
		}
		d.upserts = d.upserts[:0]
	}
	if len(d.deletes) > 0 {
		if err := d.c.search.idx.Delete(ctx, d.deletes...); err != nil {
			return fmt.Errorf("core: unindex %d documents: %w", len(d.deletes), err)
		}
		d.deletes = d.deletes[:0]
	}
	return nil
}

func (d *deriver) record(ctx context.Context, kind store.OutboxKind, ref string) error {
	switch kind {
	case store.OutboxMessage:
		return d.message(ctx, model.MessageID(ref))
	case store.OutboxChannel:
		return d.channel(ctx, model.ChannelID(ref), true)
	case store.OutboxUser:
		return d.person(ctx, model.UserID(ref))
	}
	for t, p := range searchProducers {
		if p.kind == kind {
			doc, ok, err := p.derive(ctx, d.c, ref)
			if err != nil {
				return err
			}
			if ok {
				d.upsert(doc)
			} else {
				d.remove(search.DocID(t, ref))
			}
			return nil
		}
	}
	// An unknown kind (written by a newer version): left for it.
	return nil
}

func (d *deriver) user(ctx context.Context, id model.UserID) (*model.User, error) {
	if u, ok := d.users[id]; ok {
		return u, nil
	}
	u, err := d.c.st.Users.ByID(ctx, id)
	if isNotFound(err) {
		d.users[id] = nil
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("core: index: user %s: %w", id, err)
	}
	d.users[id] = &u
	return &u, nil
}

func (d *deriver) group(ctx context.Context, id model.GroupID) (*model.Group, error) {
	if g, ok := d.groups[id]; ok {
		return g, nil
	}
	g, err := d.c.st.Groups.ByID(ctx, id)
	if isNotFound(err) {
		d.groups[id] = nil
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("core: index: group %s: %w", id, err)
	}
	d.groups[id] = &g
	return &g, nil
}

// channelCPTS: the CPTS a channel's documents are filtered by.
func (d *deriver) channelCPTS(ctx context.Context, ch model.Channel) ([]string, error) {
	if ch.CPTSID != "" {
		return []string{string(ch.CPTSID)}, nil
	}
	if ch.GroupID == "" {
		return nil, nil
	}
	g, err := d.group(ctx, ch.GroupID)
	if err != nil || g == nil {
		return nil, err
	}
	out := make([]string, len(g.CPTSIDs))
	for i, c := range g.CPTSIDs {
		out[i] = string(c)
	}
	return out, nil
}

func (d *deriver) message(ctx context.Context, id model.MessageID) error {
	docID := search.DocID(search.TypeMessage, string(id))
	chID, _, ok := id.Parse()
	if !ok {
		d.remove(docID)
		return nil
	}
	ch, err := d.c.st.Channels.ByID(ctx, chID)
	if isNotFound(err) {
		d.remove(docID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("core: index: channel %s: %w", chID, err)
	}
	m, err := d.c.st.Messages.ByID(ctx, id)
	if isNotFound(err) {
		d.remove(docID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("core: index: message %s: %w", id, err)
	}
	cpts, err := d.channelCPTS(ctx, ch)
	if err != nil {
		return err
	}
	return d.messageDoc(ctx, ch, cpts, m)
}

// messages derives the documents of these messages of one channel.
func (d *deriver) messages(ctx context.Context, chID model.ChannelID, seqs []uint64) error {
	ch, err := d.c.st.Channels.ByID(ctx, chID)
	if isNotFound(err) {
		for _, q := range seqs {
			d.remove(search.DocID(search.TypeMessage, string(model.MessageIDOf(chID, q))))
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("core: index: channel %s: %w", chID, err)
	}
	cpts, err := d.channelCPTS(ctx, ch)
	if err != nil {
		return err
	}
	for len(seqs) > 0 {
		part := seqs[:min(len(seqs), messagesPerRead)]
		seqs = seqs[len(part):]
		// One command at a time: the sends need the database's
		// connections more than the indexer does.
		ms, err := d.c.st.Messages.ReadSeqs(ctx, chID, part)
		if err != nil {
			return fmt.Errorf("core: index: %d messages of %s: %w", len(part), chID, err)
		}
		found := make(map[uint64]bool, len(ms))
		for _, m := range ms {
			found[m.Seq] = true
			if err := d.messageDoc(ctx, ch, cpts, m); err != nil {
				return err
			}
		}
		for _, q := range part {
			if !found[q] {
				d.remove(search.DocID(search.TypeMessage, string(model.MessageIDOf(chID, q))))
			}
		}
		if err := d.maybeFlush(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (d *deriver) messageDoc(ctx context.Context, ch model.Channel, cpts []string, m model.Message) error {
	docID := search.DocID(search.TypeMessage, string(m.ID))
	scopes := ChannelScopes(ch)
	if len(scopes) == 0 || m.Deleted() || len(m.Sealed) > 0 || m.Text == "" {
		d.remove(docID)
		return nil
	}
	doc := messageDocument(ch, cpts, m, scopes)
	if u, err := d.user(ctx, m.AuthorID); err != nil {
		return err
	} else if u != nil {
		doc.AuthorName, doc.AuthorProfession = u.Name, string(u.Profession)
	}
	d.upsert(doc)
	return nil
}

// messageDocument is the document of a message of channel ch.
func messageDocument(ch model.Channel, cpts []string, m model.Message, scopes []string) search.Document {
	updated := m.CreatedAt
	if m.EditedAt != nil {
		updated = *m.EditedAt
	}
	return search.Document{
		ID: search.DocID(search.TypeMessage, string(m.ID)), Type: search.TypeMessage,
		Text: m.Text, AuthorID: string(m.AuthorID),
		CPTSIDs: cpts, GroupID: string(ch.GroupID), ChannelID: string(ch.ID), ChannelName: ch.Name,
		ThreadID: string(m.ThreadID), CreatedAt: m.CreatedAt, UpdatedAt: updated, Scopes: scopes,
	}
}

// channel derives a channel's document and, with messages, those of all
// its messages (their scopes and channel name follow the channel's).
func (d *deriver) channel(ctx context.Context, id model.ChannelID, messages bool) error {
	docID := search.DocID(search.TypeChannel, string(id))
	ch, err := d.c.st.Channels.ByID(ctx, id)
	if isNotFound(err) {
		d.remove(docID)
		return nil
	}
	if err != nil {
		return fmt.Errorf("core: index: channel %s: %w", id, err)
	}
	if len(ChannelScopes(ch)) == 0 {
		d.remove(docID)
		return nil
	}
	cpts, err := d.channelCPTS(ctx, ch)
	if err != nil {
		return err
	}
	d.upsert(search.Document{
		ID: docID, Type: search.TypeChannel, Title: ch.Name, Text: ch.Topic,
		CPTSIDs: cpts, GroupID: string(ch.GroupID), ChannelID: string(ch.ID), ChannelName: ch.Name,
		CreatedAt: ch.CreatedAt, UpdatedAt: ch.CreatedAt, Scopes: ChannelScopes(ch),
	})
	if !messages {
		return nil
	}
	last, err := d.c.st.Messages.LastSeq(ctx, ch.ID, 0)
	if err != nil {
		return fmt.Errorf("core: index: last seq of %s: %w", ch.ID, err)
	}
	for from := uint64(1); from <= last; from += messagesPerRead {
		ms, err := d.c.st.Messages.Range(ctx, ch.ID, from, min(from+messagesPerRead-1, last))
		if err != nil {
			return fmt.Errorf("core: index: messages of %s: %w", ch.ID, err)
		}
		for _, m := range ms {
			if err := d.messageDoc(ctx, ch, cpts, m); err != nil {
				return err
			}
		}
		if err := d.maybeFlush(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (d *deriver) person(ctx context.Context, id model.UserID) error {
	docID := search.DocID(search.TypePerson, string(id))
	u, err := d.user(ctx, id)
	if err != nil {
		return err
	}
	if u == nil {
		d.remove(docID)
		return nil
	}
	ms, err := d.c.st.Memberships.ByUser(ctx, id)
	if err != nil {
		return fmt.Errorf("core: index: memberships of %s: %w", id, err)
	}
	gms, err := d.c.st.GroupMembers.ByUser(ctx, id)
	if err != nil {
		return fmt.Errorf("core: index: groups of %s: %w", id, err)
	}
	scopes := PersonScopes(ms, gms)
	if len(scopes) == 0 {
		d.remove(docID)
		return nil
	}
	var cpts []string
	for _, m := range ms {
		if m.Status == model.StatusActive {
			cpts = append(cpts, string(m.CPTSID))
		}
	}
	text := u.Profession.Label()
	if u.Commune != "" {
		text += " — " + u.Commune
	}
	d.upsert(search.Document{
		ID: docID, Type: search.TypePerson, Title: u.Name, Text: text,
		AuthorID: string(u.ID), AuthorProfession: string(u.Profession), CPTSIDs: cpts,
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Scopes: scopes,
	})
	return nil
}

// ReindexProgress is called as a rebuild goes: done of total objects
// (people and channels, each channel with its messages), and the
// documents written so far.
type ReindexProgress func(done, total, docs int)

// Reindex rebuilds the index from the store: every person, channel and
// message (and the objects of searchProducers) is upserted, then the
// documents the store no longer has are deleted. Interrupted, it has only
// upserted current documents: run it again. The outbox is left as is
// (applying it again is harmless). It returns the number of documents
// written.
func (c *Core) Reindex(ctx context.Context, progress ReindexProgress) (int, error) {
	if c.search.idx == nil {
		return 0, errSearchOff
	}
	users, err := c.st.Users.All(ctx)
	if err != nil {
		return 0, err
	}
	chans, err := c.st.Channels.All(ctx)
	if err != nil {
		return 0, err
	}
	d := c.newDeriver()
	d.seen = map[string]bool{}
	var extra []search.Type
	for t, p := range searchProducers {
		if p.all != nil {
			extra = append(extra, t)
		}
	}
	total := len(users) + len(chans) + len(extra)
	done := 0
	step := func() {
		done++
		if progress != nil {
			progress(done, total, len(d.seen))
		}
	}
	for _, u := range users {
		d.users[u.ID] = &u
		if err := d.person(ctx, u.ID); err != nil {
			return len(d.seen), err
		}
		if err := d.maybeFlush(ctx); err != nil {
			return len(d.seen), err
		}
		step()
	}
	for _, ch := range chans {
		if ctx.Err() != nil {
			return len(d.seen), ctx.Err()
		}
		if ch.Kind != model.KindDirect {
			if err := d.channel(ctx, ch.ID, true); err != nil {
				return len(d.seen), err
			}
		}
		step()
	}
	for _, t := range extra {
		p := searchProducers[t]
		err := p.all(ctx, c, func(id string) error {
			if err := d.record(ctx, p.kind, id); err != nil {
				return err
			}
			return d.maybeFlush(ctx)
		})
		if err != nil {
			return len(d.seen), err
		}
		step()
	}
	if err := d.flush(ctx); err != nil {
		return len(d.seen), err
	}
	// Delete what the store no longer has.
	var stale []string
	err = c.search.idx.Walk(ctx, func(id string, _ int64) error {
		if !d.seen[id] {
			stale = append(stale, id)
		}
		return nil
	})
	if err != nil {
		return len(d.seen), fmt.Errorf("core: reindex: walk the index: %w", err)
	}
	for len(stale) > 0 {
		n := min(len(stale), 500)
		if err := c.search.idx.Delete(ctx, stale[:n]...); err != nil {
			return len(d.seen), fmt.Errorf("core: reindex: delete stale documents: %w", err)
		}
		stale = stale[n:]
	}
	return len(d.seen), nil
}

// sleepCtx waits d or until ctx ends; false when ctx ended.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

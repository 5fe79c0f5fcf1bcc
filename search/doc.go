// Package search is the full-text search of e-CPTS: the Index interface
// core uses, the document and query model, the French analysis, the
// medical synonym list, the parser of what users type in the search box,
// and two backends that pass one contract suite (search/searchtest):
//
//   - Bleve (OpenBleve): embedded, github.com/blevesearch/bleve/v2 (scorch),
//     on disk in a directory of the data dir, or in memory only (dir "");
//     the default.
//   - Meili (OpenMeili): a Meilisearch server (ECPTS_MEILI_URL,
//     ECPTS_MEILI_KEY), for several nodes.
//
// # The flow
//
// Core builds a Document per object (message, post, protocol, prevention
// material, person, channel) with its access Scopes, and upserts it off the
// request path with a Version that orders its states. A search goes:
//
//	p := search.Parse(typed)              // words, "phrases", -exclusions, operators
//	q := p.Query()                        // text + type, profession, mission, campaign, status, dates
//	q.Authors, q.Channels = …             // core resolves p.Authors, p.Channels, p.CPTS, p.Groups to ids
//	q.Allowed = scopes of the caller      // from core's policy
//	res, err := idx.Search(ctx, q)        // hits (ids, snippets, highlights), total, facets
//	// core re-reads every hit through its policy before returning it
//
// The index answers with ids. It enforces Allowed inside the engine's
// query (bleve: a filter clause; Meilisearch: a filter expression), so
// totals, pages and facets never count what the caller may not see.
//
// # Query semantics (both backends)
//
// Every word must match (in the title, the text, the campaign, theme and
// author's profession label, the channel name or the author's name); a
// word matches exactly (after analysis), with typos — one from 5 letters,
// two from 9, the first letter kept; on bleve only for a word the index
// does not have as typed, Meilisearch always, ranked after exact matches —
// or, for the last word when nothing follows it (the user is typing), as a
// prefix of the words as written, of at least 3 letters (any length on
// Meilisearch). Facets count types always, the rest with Query.WithFacets. A run of words that is an expression of the
// synonym list matches any expression of its group. "Phrases" match in
// order (modulo the analysis); -word and -"phrase" exclude, exactly.
// A text of exclusions only searches everything allowed but them. A query
// with neither words nor filters is ErrEmptyQuery (stop words and
// punctuation alone count as nothing: "le", "l'"); empty Allowed is an
// empty result. A page past the end is empty, with the total.
//
// Hits are ordered by relevance (title matches weigh most; exact before
// typos and prefixes), or newest first for a query without words or with
// SortNewest. Snippets are cut around the densest group of matches, on word
// boundaries, with "…"; Range offsets are in runes (code points) of the
// snippet.
//
// # French analysis
//
// unicode words (UAX #29) → lowercase → elision (l' d' qu' j' m' n' s' t'
// c' jusqu' lorsqu' puisqu' quoiqu') → accent folding per token → French
// stop words (Snowball's, folded, keeping "ta" and "ait" for TA and AIT,
// and "été") → bleve's French light stemmer made accent-insensitive. See
// analysis.go; Terms shows what a text is indexed as. Meilisearch has its
// own tokenizer (accent- and case-insensitive, no stemming: its typo
// tolerance covers most plurals); it gets the same stop words and the
// elided articles as stop words.
//
// # Synonyms
//
// synonyms_fr.txt, embedded: one group per line, expressions separated by
// "|", "#" comments; case and accents do not matter, an expression may have
// several words. bleve expands the query (each expression of a matched
// group as an exact phrase); Meilisearch gets the list as its "synonyms"
// setting, every expression a key of all the others. TestSynonymFile checks
// the file (at least 60 groups, no expression in two groups, none made of
// stop words only).
//
// # Versions and writes
//
// Upsert never replaces a document with a lower Version (equal replaces);
// in one batch the highest wins. Bleve returns once its batch is persisted.
// Meilisearch's writes wait for their task (MeiliOptions.TaskTimeout); a
// failed task is a *TaskError with Meilisearch's code.
//
// # What is verified where
//
// The contract suite runs on bleve on disk and in memory in every test run
// (TestBleve, TestBleveMemory). On Meilisearch it runs only when
// ECPTS_MEILI_URL is set (TestMeili); no Meilisearch runs on the
// development machines or CI, where the requests the backend sends — index
// creation, settings, task polling, document writes, version reads,
// searches with their filters, quoting, highlights, facets and errors —
// are checked against a recording server (meili_test.go). FuzzParse fuzzes
// the parser (seeds in testdata/fuzz/FuzzParse). bench_test.go measures
// indexing and query latency over 100,000 generated documents, against
// PostgreSQL's French full-text search as the peer.
//
// # Direct conversations
//
// Their text must never reach a disk or Meilisearch unencrypted: use
// OpenBleve("") — bleve in memory only — per user, built on demand from
// the decrypted history and dropped after use.
package search

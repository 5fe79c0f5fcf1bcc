package search_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ecpts/ecpts/search"
)

// The benchmarks of the package. Their corpus is generated: fictional
// French messages, posts, protocols and materials built from a medical
// vocabulary (no real data), spread over 20 CPTS, their private channels
// and groups.
//
//	go test -run '^$' -bench 'BenchmarkIndex$' -benchtime 100x ./search/            # 100 batches of 1,000 documents
//	go test -run '^$' -bench 'BenchmarkSearchWhileIndexing' -benchtime 2000x ./search/ # bleve and PostgreSQL, 100,000 documents
//
// ECPTS_BENCH_DOCS changes the corpus of BenchmarkSearchWhileIndexing
// (default 100,000); ECPTS_TEST_POSTGRES_URL names the PostgreSQL server
// of the peer (a database of its own is created and dropped).

var (
	benchSubjects = []string{"Le patient", "La patiente", "Mme R.", "M. L.", "Le résident de l'EHPAD", "La personne âgée",
		"L'enfant", "Le nourrisson", "La femme enceinte", "Le diabétique de type 2", "Le patient sous AVK", "Un jeune adulte"}
	benchVerbs = []string{"présente", "signale", "a besoin d'", "consulte pour", "est suivi pour", "revient avec",
		"doit programmer", "attend", "refuse", "a oublié", "demande", "bénéficie d'"}
	benchTopics = []string{"une cystite aiguë", "une hypertension artérielle mal contrôlée", "une chute à domicile",
		"une plaie chronique", "un pansement complexe", "une insuffisance cardiaque décompensée", "une BPCO",
		"un INR instable", "une vaccination antigrippale", "un rappel diphtérie tétanos polio", "une angine",
		"un test rapide d'orientation diagnostique", "une douleur lombaire", "une dénutrition", "un sevrage tabagique",
		"une éducation thérapeutique", "une hospitalisation à domicile", "un bilan de soins infirmiers",
		"une ordonnance de kinésithérapie", "une rééducation après fracture", "un dépistage du cancer colorectal",
		"une mammographie", "un frottis", "une conciliation médicamenteuse", "une HbA1c élevée", "une fièvre",
		"une infection urinaire", "une bronchiolite", "une otite", "une gastro-entérite", "une canicule",
		"un retour d'hospitalisation", "des soins palliatifs", "un trouble du sommeil", "une anxiété"}
	benchTails = []string{"ce matin.", "depuis trois jours.", "à la sortie de l'hôpital.", "avant le week-end.",
		"selon le protocole de la CPTS.", "avec le médecin traitant.", "en lien avec la pharmacie.",
		"pour la tournée de l'infirmière.", "au cabinet du kiné.", "en soins non programmés.", "à revoir en réunion.",
		"avec la sage-femme.", "via la messagerie sécurisée.", "pendant la permanence des soins."}
	benchTitles = []string{"Protocole", "Parcours", "Fiche pratique", "Conduite à tenir", "Affiche", "Dépliant",
		"Réunion", "Formation", "Campagne", "Annonce"}
	benchNames = []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
		"Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier"}
	benchProfessions = []string{"medecin_generaliste", "infirmier", "pharmacien", "masseur_kinesitherapeute", "sage_femme",
		"orthophoniste", "dieteticien", "coordination"}
	benchMissions  = []string{"acces_aux_soins", "parcours", "prevention", "qualite", "crise"}
	benchCampaigns = []string{"Mois sans tabac", "Octobre rose", "Vaccination grippe", "Mars bleu", ""}
)

const (
	benchCPTS   = 20
	benchChans  = 10 // private channels per CPTS
	benchGroups = 5  // groups per CPTS
)

// benchDoc builds document i of the corpus (deterministic).
func benchDoc(i int, version int64) search.Document {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	sentence := func() string {
		return pick(benchSubjects) + " " + pick(benchVerbs) + " " + pick(benchTopics) + " " + pick(benchTails)
	}
	var text strings.Builder
	c := r.IntN(benchCPTS)
	t := search.TypeMessage
	switch x := r.IntN(100); {
	case x < 8:
		t = search.TypeProtocol
	case x < 18:
		t = search.TypePost
	case x < 23:
		t = search.TypeMaterial
	}
	n := 1 + r.IntN(3)
	if t == search.TypeProtocol {
		n = 15 + r.IntN(25)
	}
	for range n {
		text.WriteString(sentence())
		text.WriteByte(' ')
	}
	d := search.Document{
		ID: search.DocID(t, fmt.Sprintf("%024x", i)), Type: t, Text: text.String(),
		AuthorID: fmt.Sprintf("u%d", r.IntN(2000)), AuthorName: pick(benchNames) + " " + pick(benchNames),
		AuthorProfession: pick(benchProfessions), CPTSIDs: []string{strconv.Itoa(c)},
		Missions:  []string{pick(benchMissions)},
		CreatedAt: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * 7 * time.Minute),
		Version:   version,
	}
	d.UpdatedAt = d.CreatedAt
	if t != search.TypeMessage {
		d.Title = pick(benchTitles) + " " + strings.TrimPrefix(strings.TrimPrefix(pick(benchTopics), "une "), "un ")
		d.Campaign = pick(benchCampaigns)
	}
	switch x := r.IntN(100); {
	case x < 80:
		d.Scopes = []string{"cpts:" + strconv.Itoa(c)}
	case x < 95:
		d.Scopes = []string{fmt.Sprintf("chan:%d-%d", c, r.IntN(benchChans))}
	default:
		d.Scopes = []string{fmt.Sprintf("group:%d-%d", c, r.IntN(benchGroups))}
	}
	return d
}

// benchAllowed are the scopes of a member of CPTS c in three of its
// private channels and one group.
func benchAllowed(c int) []string {
	return []string{"cpts:" + strconv.Itoa(c), fmt.Sprintf("chan:%d-0", c), fmt.Sprintf("chan:%d-3", c),
		fmt.Sprintf("chan:%d-7", c), fmt.Sprintf("group:%d-1", c), "platform"}
}

// benchQueries are the queries of the latency runs: what users type,
// with what PostgreSQL cannot do (typos, prefixes, synonyms) marked.
var benchQueries = []struct {
	text string
	kind string // plain | typo | prefix | synonym
}{
	{"protocole cystite", "plain"}, {"hypertension artérielle", "plain"}, {"chute domicile", "plain"},
	{"vaccination antigrippale", "plain"}, {"pansement complexe", "plain"}, {"insuffisance cardiaque", "plain"},
	{"sevrage tabagique", "plain"}, {"dépistage cancer colorectal", "plain"}, {"médecin traitant", "plain"},
	{"soins non programmés", "plain"}, {"éducation thérapeutique", "plain"}, {"ordonnance kinésithérapie", "plain"},
	{"protocol cystyte", "typo"}, {"hypertention", "typo"}, {"vacination", "typo"}, {"denutrition", "typo"},
	{"proto", "prefix"}, {"cyst", "prefix"}, {"kinésith", "prefix"}, {"pansem", "prefix"},
	{"HTA", "synonym"}, {"IC", "synonym"}, {"kiné chute", "synonym"}, {"ETP", "synonym"}, {"TROD", "synonym"},
	{"HAD", "synonym"}, {"IDEL pansement", "synonym"}, {"MT", "synonym"},
}

func benchDocsEnv() int {
	if n, err := strconv.Atoi(os.Getenv("ECPTS_BENCH_DOCS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// BenchmarkIndex measures indexing throughput on bleve (on disk, safe
// batches): one iteration upserts a batch of 1,000 new documents.
func BenchmarkIndex(b *testing.B) {
	idx, err := search.OpenBleve(filepath.Join(b.TempDir(), "bleve"))
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	ctx := context.Background()
	const batch = 1000
	docs := make([]search.Document, batch)
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		for j := range docs {
			docs[j] = benchDoc(i*batch+j, 1)
		}
		b.StartTimer()
		if err := idx.Upsert(ctx, docs...); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "docs/s")
}

// latencyFixture is the 100,000-document bleve index and PostgreSQL table
// the latency benchmark shares across its runs (built once per process).
type latencyFixture struct {
	docs      int
	bleve     *search.Bleve
	bleveLoad time.Duration
	pg        *pgxpool.Pool
	pgLoad    time.Duration
	pgDrop    func()
	dir       string
}

var (
	fixtureOnce sync.Once
	fixture     *latencyFixture
	fixtureErr  error
)

func getFixture(b *testing.B) *latencyFixture {
	fixtureOnce.Do(func() { fixture, fixtureErr = buildFixture() })
	if fixtureErr != nil {
		b.Fatal(fixtureErr)
	}
	return fixture
}

// buildFixture returns what it built even on error, for TestMain to clean.
func buildFixture() (*latencyFixture, error) {
	ctx := context.Background()
	f := &latencyFixture{docs: benchDocsEnv()}
	dir, err := os.MkdirTemp("", "ecpts-search-bench-")
	if err != nil {
		return f, err
	}
	f.dir = dir
	f.bleve, err = search.OpenBleve(filepath.Join(dir, "bleve"))
	if err != nil {
		return f, err
	}
	start := time.Now()
	const batch = 1000
	for i := 0; i < f.docs; i += batch {
		docs := make([]search.Document, 0, batch)
		for j := i; j < min(i+batch, f.docs); j++ {
			docs = append(docs, benchDoc(j, 1))
		}
		if err := f.bleve.Upsert(ctx, docs...); err != nil {
			return f, err
		}
	}
	f.bleveLoad = time.Since(start)
	return f, nil
}

var pgOnce sync.Once

// withPostgres loads the peer into f once.
func withPostgres(b *testing.B, f *latencyFixture) {
	var err error
	pgOnce.Do(func() { err = f.loadPostgres(context.Background()) })
	if err != nil {
		b.Fatalf("postgres peer: %v", err)
	}
	if f.pg == nil {
		b.Fatal("postgres peer: not loaded")
	}
}

// BenchmarkSearch measures bleve query latency over the corpus with no
// concurrent writes, one query of benchQueries per iteration.
func BenchmarkSearch(b *testing.B) {
	f := getFixture(b)
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	byQuery := map[string][]time.Duration{}
	totals := map[string]int{}
	b.ResetTimer()
	for i := range b.N {
		q := benchQueries[i%len(benchQueries)]
		text := q.text + " "
		if isPrefixQuery(q.text) {
			text = q.text
		}
		t0 := time.Now()
		res, err := f.bleve.Search(ctx, search.Query{Text: text, Allowed: benchAllowed(i % benchCPTS)})
		if err != nil {
			b.Fatal(err)
		}
		d := time.Since(t0)
		lat = append(lat, d)
		byQuery[q.text] = append(byQuery[q.text], d)
		totals[q.text] = res.Total
	}
	b.StopTimer()
	if b.N >= len(benchQueries) {
		for _, q := range benchQueries {
			m, _, _ := percentiles(byQuery[q.text])
			b.Logf("%-30q %-8s p50 %6.2f ms, %6d hits", q.text, q.kind, ms(m), totals[q.text])
		}
	}
	p50, p95, p99 := percentiles(lat)
	b.ReportMetric(ms(p50), "p50-ms")
	b.ReportMetric(ms(p95), "p95-ms")
	b.ReportMetric(ms(p99), "p99-ms")
}

const pgBenchDB = "ecpts_search_bench"

// loadPostgres creates a database of its own on the test server, the
// table of the peer (a generated French tsvector with a GIN index, the
// scopes in a text[] with a GIN index too) and COPYs the corpus in.
func (f *latencyFixture) loadPostgres(ctx context.Context) error {
	url := os.Getenv("ECPTS_TEST_POSTGRES_URL")
	if url == "" {
		url = "postgres://root@127.0.0.1:5432/ecpts_test?sslmode=disable"
	}
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	db := fmt.Sprintf("%s_%d", pgBenchDB, os.Getpid())
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+db); err != nil {
		return err
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return err
	}
	cfg.ConnConfig.Database = db
	cfg.MaxConns = 4
	f.pgDrop = func() {
		if f.pg != nil {
			f.pg.Close()
		}
		if c, err := pgx.Connect(context.Background(), url); err == nil {
			_, _ = c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)")
			_ = c.Close(context.Background())
		}
	}
	f.pg, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	start := time.Now()
	if _, err := f.pg.Exec(ctx, `CREATE TABLE docs (
		id text PRIMARY KEY, type text NOT NULL, title text NOT NULL, body text NOT NULL,
		scopes text[] NOT NULL, created timestamptz NOT NULL,
		tsv tsvector GENERATED ALWAYS AS (to_tsvector('french', title || ' ' || body)) STORED)`); err != nil {
		return err
	}
	rows := make([][]any, 0, f.docs)
	for i := range f.docs {
		d := benchDoc(i, 1)
		rows = append(rows, []any{d.ID, string(d.Type), d.Title, d.Text, d.Scopes, d.CreatedAt})
	}
	if _, err := f.pg.CopyFrom(ctx, pgx.Identifier{"docs"}, []string{"id", "type", "title", "body", "scopes", "created"}, pgx.CopyFromRows(rows)); err != nil {
		return err
	}
	for _, s := range []string{"CREATE INDEX docs_tsv ON docs USING gin (tsv)", "CREATE INDEX docs_scopes ON docs USING gin (scopes)", "ANALYZE docs"} {
		if _, err := f.pg.Exec(ctx, s); err != nil {
			return err
		}
	}
	f.pgLoad = time.Since(start)
	return nil
}

// pgSearch is the peer's query: the same words through websearch_to_tsquery
// ('french'), the same scope filter (array overlap), ts_rank order, the
// total and a ts_headline snippet for the page — what the bleve search
// returns too (bleve adds facets, typos, prefixes and synonyms).
const pgSearch = `WITH q AS (SELECT websearch_to_tsquery('french', $1) AS q),
m AS (SELECT id, body, ts_rank(tsv, q.q) AS r, created, count(*) OVER () AS total
      FROM docs, q WHERE tsv @@ q.q AND scopes && $2 ORDER BY r DESC, created DESC LIMIT 20)
SELECT id, total, ts_headline('french', body, q.q, 'MaxWords=30, MinWords=10') FROM m, q`

// BenchmarkSearchWhileIndexing measures query latency over the corpus while
// a writer adds documents (500 a second, in one batch a second), on bleve and on
// the PostgreSQL French full-text peer, each iteration one query of
// benchQueries under a member's scopes. It reports p50/p95/p99 in ms and
// logs the ratio and the queries each engine answered with nothing.
func BenchmarkSearchWhileIndexing(b *testing.B) {
	f := getFixture(b)
	withPostgres(b, f)
	b.Logf("corpus: %d documents; bleve loaded in %s (%.0f docs/s), PostgreSQL COPY + GIN in %s; GOMAXPROCS %d, %s",
		f.docs, f.bleveLoad.Round(time.Millisecond), float64(f.docs)/f.bleveLoad.Seconds(), f.pgLoad.Round(time.Millisecond),
		runtime.GOMAXPROCS(0), cpuModel())
	results := map[string][]time.Duration{}
	empty := map[string]map[string]bool{}
	var next atomic.Int64
	next.Store(int64(f.docs) + 1_000_000)
	run := func(name string, search func(ctx context.Context, q string, allowed []string) (int, error), write func(ctx context.Context, first, n int) error) {
		b.Run(name, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			var written atomic.Int64
			wg.Go(func() { // the writer: 500 documents a second, one batch (as an outbox indexer would apply them)
				t := time.NewTicker(time.Second)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
					}
					first := int(next.Add(500)) - 500
					if err := write(ctx, first, 500); err != nil && ctx.Err() == nil {
						b.Errorf("%s writer: %v", name, err)
						return
					}
					written.Add(500)
				}
			})
			lat := make([]time.Duration, 0, b.N)
			zero := map[string]bool{}
			cpu0 := processCPU()
			start := time.Now()
			b.ResetTimer()
			for i := range b.N {
				q := benchQueries[i%len(benchQueries)]
				t0 := time.Now()
				n, err := search(ctx, q.text, benchAllowed(i%benchCPTS))
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatalf("%s %q: %v", name, q.text, err)
				}
				if n == 0 {
					zero[q.text] = true
				}
			}
			b.StopTimer()
			elapsed := time.Since(start)
			cpu := processCPU() - cpu0
			cancel()
			wg.Wait()
			p50, p95, p99 := percentiles(lat)
			b.ReportMetric(ms(p50), "p50-ms")
			b.ReportMetric(ms(p95), "p95-ms")
			b.ReportMetric(ms(p99), "p99-ms")
			b.ReportMetric(float64(written.Load())/elapsed.Seconds(), "writes/s")
			// CPU of this process (queries, the writer, GC) per query: what
			// the machine's other load cannot inflate. PostgreSQL's own
			// work runs in its server processes, not counted here.
			b.ReportMetric(ms(cpu)/float64(b.N), "proc-cpu-ms/op")
			results[name] = lat
			empty[name] = zero
		})
	}
	run("bleve", func(ctx context.Context, q string, allowed []string) (int, error) {
		text := q + " " // complete words
		if isPrefixQuery(q) {
			text = q // the last word matched as a prefix
		}
		res, err := f.bleve.Search(ctx, search.Query{Text: text, Allowed: allowed})
		return res.Total, err
	}, func(ctx context.Context, first, n int) error {
		docs := make([]search.Document, n)
		for j := range docs {
			docs[j] = benchDoc(first+j, 1)
		}
		return f.bleve.Upsert(ctx, docs...)
	})
	run("postgres", func(ctx context.Context, q string, allowed []string) (int, error) {
		rows, err := f.pg.Query(ctx, pgSearch, q, allowed)
		if err != nil {
			return 0, err
		}
		defer rows.Close()
		total := 0
		for rows.Next() {
			var id, headline string
			if err := rows.Scan(&id, &total, &headline); err != nil {
				return 0, err
			}
		}
		return total, rows.Err()
	}, func(ctx context.Context, first, n int) error {
		batch := &pgx.Batch{}
		for j := range n {
			d := benchDoc(first+j, 1)
			batch.Queue(`INSERT INTO docs (id, type, title, body, scopes, created) VALUES ($1,$2,$3,$4,$5,$6)
				ON CONFLICT (id) DO UPDATE SET body = excluded.body`, d.ID, string(d.Type), d.Title, d.Text, d.Scopes, d.CreatedAt)
		}
		return f.pg.SendBatch(ctx, batch).Close()
	})
	if bl, pg := results["bleve"], results["postgres"]; len(bl) > 0 && len(pg) > 0 {
		_, b95, _ := percentiles(bl)
		_, p95, _ := percentiles(pg)
		b.Logf("p95: bleve %.2f ms, PostgreSQL %.2f ms: PostgreSQL/bleve = %.2f", ms(b95), ms(p95), ms(p95)/ms(b95))
		for _, q := range benchQueries {
			b.Logf("%-30q %-8s bleve found: %-5v PostgreSQL found: %v", q.text, q.kind, !empty["bleve"][q.text], !empty["postgres"][q.text])
		}
	}
}

// isPrefixQuery: the queries typed as prefixes run without a trailing
// space (the last word matched as a prefix); the others as complete words.
func isPrefixQuery(q string) bool {
	return slices.ContainsFunc(benchQueries, func(x struct{ text, kind string }) bool { return x.text == q && x.kind == "prefix" })
}

func percentiles(d []time.Duration) (p50, p95, p99 time.Duration) {
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	return at(0.50), at(0.95), at(0.99)
}

// processCPU is the user and system CPU time of this process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// TestMain drops the peer's database and the index directory the
// latency benchmark built.
func TestMain(m *testing.M) {
	code := m.Run()
	if fixture != nil {
		if fixture.bleve != nil {
			_ = fixture.bleve.Close()
		}
		if fixture.pgDrop != nil {
			fixture.pgDrop()
		}
		_ = os.RemoveAll(fixture.dir)
	}
	os.Exit(code)
}

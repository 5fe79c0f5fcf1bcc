package sanitize

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
)

var testRenderer = New()

func render(t *testing.T, in string) Rendered {
	t.Helper()
	out, err := testRenderer.Render(in)
	if err != nil {
		t.Fatalf("Render(%q): %v", in, err)
	}
	checkSafe(t, in, out.HTML)
	return out
}

func TestRenderHTML(t *testing.T) {
	const rel = ` rel="nofollow noopener noreferrer" target="_blank"`
	tests := []struct {
		name  string
		in    string
		want  []string // fragments that must appear
		never []string // fragments that must not
	}{
		{"paragraph", "Bonjour", []string{"<p>Bonjour</p>"}, nil},
		{"hard wrap", "ligne 1\nligne 2", []string{"<p>ligne 1<br>\nligne 2</p>"}, nil},
		{"two paragraphs", "un\n\ndeux", []string{"<p>un</p>\n<p>deux</p>"}, nil},
		{"bold italic", "**gras** et *italique* et _aussi_", []string{"<strong>gras</strong>", "<em>italique</em>", "<em>aussi</em>"}, nil},
		{"strike", "~~barré~~", []string{"<del>barré</del>"}, nil},
		{"code span", "tapez `rm -rf <x>`", []string{"<code>rm -rf &lt;x&gt;</code>"}, nil},
		{"fenced code", "```\nif a < b {\n}\n```", []string{"<pre><code>if a &lt; b {\n}\n</code></pre>"}, nil},
		{"fenced code language", "```go\nx := 1\n```", []string{`<pre><code class="language-go">x := 1`}, nil},
		{"fenced code hostile language", "```\" onmouseover=\"x\nx\n```", []string{"<pre><code>x"}, []string{"onmouseover"}},
		{"block quote", "> cité\n> encore", []string{"<blockquote>\n<p>cité<br>\nencore</p>\n</blockquote>"}, nil},
		{"bullet list", "- a\n- b", []string{"<ul>\n<li>a</li>\n<li>b</li>\n</ul>"}, nil},
		{"numbered list", "3. trois\n4. quatre", []string{`<ol start="3">`, "<li>trois</li>"}, nil},
		{"h1 capped", "# Titre", []string{"<h3>Titre</h3>"}, []string{"<h1", "<h2"}},
		{"h2 capped", "## Titre", []string{"<h3>Titre</h3>"}, []string{"<h2"}},
		{"setext capped", "Titre\n===", []string{"<h3>Titre</h3>"}, []string{"<h1"}},
		{"h4 kept", "#### Détail", []string{"<h4>Détail</h4>"}, nil},
		{"thematic break", "a\n\n---\n\nb", []string{"<hr>"}, nil},
		{"link", "[HAS](https://www.has-sante.fr/x?a=1&b=2)", []string{`<a href="https://www.has-sante.fr/x?a=1&amp;b=2"` + rel + `>HAS</a>`}, nil},
		{"link title", `[HAS](https://has.fr "Haute Autorité")`, []string{`title=`}, nil},
		{"mailto link", "[écrire](mailto:coordination@cpts.fr)", []string{`<a href="mailto:coordination@cpts.fr"` + rel + `>écrire</a>`}, nil},
		{"linkify url", "voir https://ameli.fr/medecin.", []string{`<a href="https://ameli.fr/medecin"` + rel + `>https://ameli.fr/medecin</a>.`}, nil},
		{"linkify www", "voir www.ameli.fr", []string{`<a href="http://www.ameli.fr"` + rel + `>www.ameli.fr</a>`}, nil},
		{"linkify email", "écrire à claire.morel@chu-tours.fr", []string{`<a href="mailto:claire.morel@chu-tours.fr"` + rel + `>claire.morel@chu-tours.fr</a>`}, []string{"mention"}},
		{"angle autolink", "<https://ameli.fr>", []string{`<a href="https://ameli.fr"` + rel + `>https://ameli.fr</a>`}, nil},
		{"ftp not linked", "ftp://files.example.org/x", []string{"<p>ftp://files.example.org/x</p>"}, []string{"<a"}},
		{"relative link unwrapped", "[accueil](/accueil)", []string{"<p>accueil</p>"}, []string{"<a"}},
		{"image becomes link", "![affiche](https://cpts.fr/affiche.png)", []string{`<a href="https://cpts.fr/affiche.png"` + rel + `>affiche</a>`}, []string{"<img"}},
		{"image without alt", "![](https://cpts.fr/a.png)", []string{`>https://cpts.fr/a.png</a>`}, []string{"<img"}},
		{"image in link", "[![logo](https://a.fr/l.png)](https://a.fr)", []string{`<a href="https://a.fr"` + rel + `>logo</a>`}, []string{"<img", "l.png"}},
		{"table", "| Produit | Dose |\n|:--|--:|\n| amox | 1 g |", []string{"<table>", `<th align="left">Produit</th>`, `<td align="right">1 g</td>`}, nil},
		{"raw html literal", "<b>gras</b>", []string{"<p>&lt;b&gt;gras&lt;/b&gt;</p>"}, []string{"<b>"}},
		{"angle name kept", "demander à <Dr Martin>", []string{"<p>demander à &lt;Dr Martin&gt;</p>"}, nil},
		{"html block literal", "<div>\nbloc\n</div>", []string{"&lt;div&gt;", "bloc"}, []string{"<div"}},
		{"html comment literal", "<!-- caché -->", []string{"&lt;!-- caché --&gt;"}, nil},
		{"entities", "a &amp; b &lt;i&gt;", []string{"a &amp; b &lt;i&gt;"}, []string{"<i>"}},
		{"mention", "merci @Claire.Morel !", []string{`merci <span class="mention" data-mention="claire.morel">@Claire.Morel</span> !`}, nil},
		{"mention in code", "`@channel`", []string{"<code>@channel</code>"}, []string{"mention"}},
		{"mention in link text", "[@claire](https://a.fr)", []string{`>@claire</a>`}, []string{"mention"}},
		{"nul byte", "a\x00b", []string{"<p>a\uFFFDb</p>"}, nil},
		{"invalid utf8", "a\xffb", []string{"<p>a\uFFFDb</p>"}, nil},
		{"empty", "", nil, []string{"<"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := render(t, tt.in).HTML
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("HTML lacks %q\n got: %s", w, got)
				}
			}
			for _, n := range tt.never {
				if strings.Contains(got, n) {
					t.Errorf("HTML contains %q\n got: %s", n, got)
				}
			}
		})
	}
}

func TestRenderText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"**Réunion** jeudi\n*salle B*", "Réunion jeudi salle B"},
		{"un\n\n\ndeux   trois\tquatre", "un deux trois quatre"},
		{"# Titre\n- a\n- b\n\n> cité", "Titre a b cité"},
		{"voir [la fiche](https://has.fr/fiche) svp", "voir la fiche svp"},
		{"voir https://has.fr/fiche", "voir https://has.fr/fiche"},
		{"`x < y` et\n```\nligne1\nligne2\n```", "x < y et ligne1 ligne2"},
		{"a &amp; b &eacute; &#233; \\*c\\*", "a & b é é *c*"},
		{"<b>brut</b>", "<b>brut</b>"},
		{"merci @Claire.Morel.", "merci @Claire.Morel."},
		{"| a | b |\n|---|---|\n| 1 | 2 |", "a b 1 2"},
		{"![affiche](https://a.fr/x.png)", "affiche"},
		{"  \n\n ", ""},
		// "e" + combining acute accent: NFC makes it one code point.
		{"cafe\u0301", "caf\u00e9"},
	}
	for _, tt := range tests {
		if got := render(t, tt.in).Text; got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMentions(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"@channel réunion à 20h", []string{"channel"}},
		{"@Pharmaciens et @infirmiers, puis @pharmaciens", []string{"pharmaciens", "infirmiers"}},
		{"merci @Claire.Morel.", []string{"claire.morel"}},
		{"(@jean-luc) [@ici] @élodie_2", []string{"jean-luc", "ici", "élodie_2"}},
		{"_@claire_ **@bob**", []string{"claire", "bob"}},
		{"> @claire\n- @bob\n\n| @kine |\n|---|\n| @ide |", []string{"claire", "bob", "kine", "ide"}},
		{"ligne\n@claire", []string{"claire"}},
		{"cafe\u0301 @he\u0301le\u0300ne", []string{"hélène"}},
		// not mentions
		{"claire.morel@chu.fr", nil},
		{"a@b et x_y@z", nil},
		{"`@channel` et\n```\n@all\n```", nil},
		{"    @indented code", nil},
		{"[@claire](https://a.fr) <https://a.fr/@bob> https://a.fr/@eve www.a.fr/@zoe", nil},
		{"[voir](https://a.fr/@bob)", nil},
		{"\\@claire", nil},
		{"@ seul, @. et @-", nil},
		{"@@channel", []string{"channel"}},
	}
	for _, tt := range tests {
		got := render(t, tt.in).Mentions
		if len(got) == 0 && len(tt.want) == 0 {
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Mentions(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMentionsAreWrapped(t *testing.T) {
	out := render(t, "@Claire.Morel et @pharmaciens")
	for _, m := range []string{
		`<span class="mention" data-mention="claire.morel">@Claire.Morel</span>`,
		`<span class="mention" data-mention="pharmaciens">@pharmaciens</span>`,
	} {
		if !strings.Contains(out.HTML, m) {
			t.Errorf("HTML lacks %s\n got: %s", m, out.HTML)
		}
	}
}

func TestTooLong(t *testing.T) {
	_, err := testRenderer.Render(strings.Repeat("a", MaxInputBytes+1))
	if !errors.Is(err, ErrTooLong) {
		t.Fatalf("err = %v, want ErrTooLong", err)
	}
	if _, err := testRenderer.Render(strings.Repeat("a", MaxInputBytes)); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
}

// pathological are shapes on which goldmark is quadratic (3.6 s for 64 KiB
// of "*a_" before costly existed).
func pathological() map[string]string {
	n := MaxInputBytes - 16
	return map[string]string{
		"nested brackets":      strings.Repeat("[", n/2) + strings.Repeat("]", n/2),
		"nested quotes":        strings.Repeat("> ", n/2) + "a",
		"emphasis":             strings.Repeat("*a_", n/3),
		"strike":               strings.Repeat("*a~", n/3),
		"link openers":         strings.Repeat("[a](", n/4),
		"few links, long line": strings.Repeat("[a](", 100) + strings.Repeat("b", n-500),
		"link references":      strings.Repeat("[a]: https://x.fr\n", n/20),
	}
}

// TestPathologicalInputs: each quadratic shape must be spotted by costly,
// which sends it to the linear plain renderer, and still render safely.
// How long they take is measured by BenchmarkPathological, not here: a
// timed test fails on a busy machine.
func TestPathologicalInputs(t *testing.T) {
	for name, in := range pathological() {
		t.Run(name, func(t *testing.T) {
			if !costly([]byte(in)) {
				t.Errorf("costly = false")
			}
			render(t, in)
		})
	}
}

// BenchmarkPathological renders each quadratic shape at the size limit
// (1–45 ms each when measured; a quadratic path takes seconds).
func BenchmarkPathological(b *testing.B) {
	for name, in := range pathological() {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := testRenderer.Render(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func TestCostly(t *testing.T) {
	markers := strings.Repeat("*a_", maxMarkers/2+1) // just over budget
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"ordinary", benchMessage, false},
		{"at budget", strings.Repeat("_", maxMarkers), false},
		{"over budget", strings.Repeat("_", maxMarkers+1), true},
		{"inside fence", "```\n" + markers + "\n```", false},
		{"inside tilde fence", "~~~~ c\n" + markers + "\n~~~~", false},
		{"after fence", "```\nx\n```\n" + markers, true},
		{"unclosed fence", "```\n" + markers, false},
		{"shorter closer does not close", "````\nx\n```\n" + markers, false},
		// Not fences for goldmark, so not for costly either.
		{"indented 4", "    ```\n" + markers, true},
		{"backtick in info", "``` a`b\n" + markers, true},
		{"two backticks", "``\n" + markers, true},
		{"quoted fence", "> ```\n" + markers, true},
		{"links", strings.Repeat("[a](", 10) + strings.Repeat("b", maxLinkScan/10), true},
		{"links on short lines", strings.Repeat("[a](https://x.fr)\n", maxMarkers/2), false},
	}
	for _, tt := range tests {
		if got := costly([]byte(tt.in)); got != tt.want {
			t.Errorf("%s: costly = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestPlainFlavour: over budget, the message loses its formatting but keeps
// its words, line breaks, code, links and mentions, and stays safe.
func TestPlainFlavour(t *testing.T) {
	in := "@Claire **gras** https://ameli.fr\n`code @x` <https://has.fr>\n" +
		"[lien](javascript:alert(1)) <script>alert(1)</script>\n" + strings.Repeat("_", maxMarkers)
	out := render(t, in)
	for _, w := range []string{
		`<span class="mention" data-mention="claire">@Claire</span>`,
		"**gras**",
		`<a href="https://ameli.fr" rel="nofollow noopener noreferrer" target="_blank">https://ameli.fr</a><br>`,
		"<code>code @x</code>",
		`<a href="https://has.fr" rel="nofollow noopener noreferrer" target="_blank">`,
		"[lien](javascript:alert(1)) &lt;script&gt;",
	} {
		if !strings.Contains(out.HTML, w) {
			t.Errorf("HTML lacks %q\n got: %s", w, out.HTML)
		}
	}
	if !reflect.DeepEqual(out.Mentions, []string{"claire"}) {
		t.Errorf("Mentions = %q", out.Mentions)
	}
}

func TestConcurrentRender(t *testing.T) {
	r := New()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				in := fmt.Sprintf("**%d** @user%d [l](https://a.fr/%d)", i, g, i)
				out, err := r.Render(in)
				if err != nil {
					errs <- err
					return
				}
				want := fmt.Sprintf(`data-mention="user%d"`, g)
				if !strings.Contains(out.HTML, want) || len(out.Mentions) != 1 || out.Mentions[0] != fmt.Sprintf("user%d", g) {
					errs <- fmt.Errorf("goroutine %d: got %+v", g, out)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// A typical message of about 300 characters: greeting, mentions, emphasis, a link,
// a list.
const benchMessage = "Bonjour @Claire.Morel, pour la sortie d'hospitalisation de jeudi " +
	"le **protocole cystite** est à jour : https://cpts-loire-nord.fr/protocoles/cystite\n" +
	"- passage IDE le matin\n- pharmacie prévenue\n" +
	"Merci de confirmer avant *mercredi 18h* ~~si possible~~ @pharmaciens 🙏\n" +
	"Bonne journée à tous !"

func BenchmarkRender(b *testing.B) {
	r := New()
	b.SetBytes(int64(len(benchMessage)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Render(benchMessage); err != nil {
			b.Fatal(err)
		}
	}
}
